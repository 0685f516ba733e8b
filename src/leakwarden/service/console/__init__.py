"""The reviewer console: server-rendered pages under /console (see ``web``), its users and sessions."""
