"""Routes that speak other services' protocols over the same Engine: Akismet (``akismet``) and
OpenAI's moderation endpoint (``moderations``)."""
