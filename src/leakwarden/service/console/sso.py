"""OIDC single sign-on for the console (Authlib): authorization code flow with PKCE, state and nonce.

The provider is found by discovery (``ISSUER/.well-known/openid-configuration``, whose ``issuer``
must be the configured one); its ID token is checked against the provider's JWKS (signature,
``iss``, ``aud`` = our client id, ``exp``, ``iat``, ``nonce``). The pending flow (state, nonce, PKCE
verifier, where to go next) lives in a short-lived HttpOnly cookie signed with a key derived from
the client secret, so every worker process can finish a flow another started, and nothing is
stored server-side until the login succeeds.

Who may enter is the operator's mapping from the ID token to a console role (``RoleRule``): a
verified e-mail domain (``@example.org=moderator``) or a claim's value (``groups:lw-admins=admin``,
list claims match any member). The highest matching role wins; a user no rule maps is refused.
Configured by the environment (``SsoSettings.from_env``) or ``leakwarden serve``'s ``--oidc-*``
options, which set the same variables.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import json
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from leakwarden.errors import InvalidInput, LeakwardenError
from leakwarden.service.auth import ROLES

SCOPE = "openid email profile"
FLOW_TTL_S = 600  # a login must come back from the provider within ten minutes
LEEWAY_S = 60  # clock skew allowed on exp / iat
ENV = {"issuer": "LEAKWARDEN_OIDC_ISSUER", "client_id": "LEAKWARDEN_OIDC_CLIENT_ID",
       "secret_file": "LEAKWARDEN_OIDC_CLIENT_SECRET_FILE", "roles": "LEAKWARDEN_OIDC_ROLES",
       "redirect_url": "LEAKWARDEN_OIDC_REDIRECT_URL", "password_login": "LEAKWARDEN_CONSOLE_PASSWORD_LOGIN"}


class SsoRefused(LeakwardenError):
    """A sign-on that does not let the user in; ``code`` says why (audited as ``console.sso_refused``)."""

    code = "sso_failed"
    status = 401

    def __init__(self, message: str, *, code: str, status: int = 401) -> None:
        super().__init__(message, code=code)
        self.status = status


@dataclass(frozen=True)
class RoleRule:
    """``@DOMAIN=ROLE`` (the ID token's verified e-mail is at DOMAIN) or ``CLAIM:VALUE=ROLE`` (the
    claim equals VALUE, or is a list holding it)."""

    claim: str  # "email" for a domain rule
    value: str
    role: str

    @classmethod
    def parse(cls, text: str) -> RoleRule:
        rule, sep, role = text.strip().rpartition("=")
        role = role.strip()
        if not sep or role not in ROLES:
            raise InvalidInput(f"OIDC role rule {text!r}: expected @DOMAIN=ROLE or CLAIM:VALUE=ROLE with ROLE one of "
                               f"{', '.join(ROLES)}", code="invalid_sso_config")
        rule = rule.strip()
        if rule.startswith("@") and len(rule) > 1:
            return cls("email", rule[1:].lower(), role)
        claim, colon, value = rule.partition(":")
        if not colon or not claim.strip() or not value.strip():
            raise InvalidInput(f"OIDC role rule {text!r}: expected @DOMAIN=ROLE or CLAIM:VALUE=ROLE",
                               code="invalid_sso_config")
        return cls(claim.strip(), value.strip(), role)

    def matches(self, claims: Mapping[str, Any]) -> bool:
        if self.claim == "email":
            email = claims.get("email")
            return (claims.get("email_verified") is True and isinstance(email, str)
                    and email.rpartition("@")[2].lower() == self.value)
        found = claims.get(self.claim)
        if isinstance(found, list):
            return self.value in [str(v) for v in found]
        return found is not None and str(found) == self.value


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def checked_issuer(issuer: str) -> str:
    """An https URL (plain http only on a loopback host, for a provider on the same machine)."""
    parts = urlsplit(issuer.strip())
    if parts.scheme not in ("https", "http") or not parts.hostname or parts.query or parts.fragment \
            or (parts.scheme == "http" and not _loopback(parts.hostname)):
        raise InvalidInput(f"OIDC issuer {issuer!r}: expected an https:// URL (http:// only on a loopback host)",
                           code="invalid_sso_config")
    return issuer.strip().rstrip("/")


@dataclass
class SsoSettings:
    issuer: str
    client_id: str
    client_secret: str = field(repr=False)
    rules: tuple[RoleRule, ...]
    password_login: bool = True
    redirect_url: str | None = None  # the callback as the provider must call it (default: from the request)
    _client: Any = field(default=None, repr=False, compare=False)

    @classmethod
    def configure(cls, *, issuer: str, client_id: str, secret_file: str, roles: list[str], password_login: bool = True,
                  redirect_url: str | None = None) -> SsoSettings:
        issuer = checked_issuer(issuer)
        if not client_id.strip():
            raise InvalidInput("OIDC needs a client id (LEAKWARDEN_OIDC_CLIENT_ID)", code="invalid_sso_config")
        try:
            secret = Path(secret_file).expanduser().read_text(encoding="utf-8").strip() if secret_file else ""
        except (OSError, UnicodeDecodeError) as exc:
            raise InvalidInput(f"OIDC client secret file {secret_file!r}: {getattr(exc, 'strerror', None) or exc}",
                               code="invalid_sso_config") from None
        if not secret:
            raise InvalidInput("OIDC needs a client secret file (LEAKWARDEN_OIDC_CLIENT_SECRET_FILE) that is not "
                               "empty", code="invalid_sso_config")
        rules = tuple(RoleRule.parse(r) for r in roles if r.strip())
        if not rules:
            raise InvalidInput("OIDC needs at least one role rule (LEAKWARDEN_OIDC_ROLES, e.g. "
                               "'@example.org=moderator'); without one nobody could sign in", code="invalid_sso_config")
        return cls(issuer, client_id.strip(), secret, rules, password_login,
                   redirect_url.strip() if redirect_url and redirect_url.strip() else None)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> SsoSettings | None:
        """The settings in the environment; None when no issuer is set (password logins only)."""
        env = os.environ if env is None else env
        password_login = env.get(ENV["password_login"], "1").strip().lower() not in ("0", "false", "no", "off")
        issuer = env.get(ENV["issuer"], "").strip()
        if not issuer:
            if not password_login:
                raise InvalidInput("password login can be turned off only when OIDC sign-on is configured "
                                   f"({ENV['issuer']})", code="invalid_sso_config")
            return None
        return cls.configure(issuer=issuer, client_id=env.get(ENV["client_id"], ""),
                             secret_file=env.get(ENV["secret_file"], ""),
                             roles=env.get(ENV["roles"], "").replace(",", " ").split(),
                             password_login=password_login, redirect_url=env.get(ENV["redirect_url"]))

    def role_for(self, claims: Mapping[str, Any]) -> str | None:
        """The highest role a rule gives these claims; None if no rule matches."""
        matched = [r.role for r in self.rules if r.matches(claims)]
        return max(matched, key=ROLES.index) if matched else None

    def client(self) -> Any:
        """The Authlib client (discovery and JWKS cached in it, fetched again when a key id is new)."""
        if self._client is None:
            from authlib.integrations.starlette_client import OAuth

            oauth = OAuth()
            self._client = oauth.register(
                "leakwarden", client_id=self.client_id, client_secret=self.client_secret,
                server_metadata_url=f"{self.issuer}/.well-known/openid-configuration",
                client_kwargs={"scope": SCOPE, "code_challenge_method": "S256", "timeout": 10.0,
                               "trust_env": False})
        return self._client

    # -- the pending flow, in a signed cookie ----------------------------------------------------
    def _flow_key(self) -> bytes:
        return hashlib.sha256(b"leakwarden console sso flow\0" + self.client_secret.encode()).digest()

    def seal_flow(self, flow: dict[str, str]) -> str:
        body = base64.urlsafe_b64encode(json.dumps({**flow, "exp": int(time.time()) + FLOW_TTL_S}).encode()).decode()
        mac = hmac.new(self._flow_key(), body.encode(), hashlib.sha256).hexdigest()
        return f"{body}.{mac}"

    def open_flow(self, cookie: str | None, state: str | None) -> dict[str, Any]:
        """The flow this browser started, if the cookie is ours, not expired, and its state is ``state``."""
        body, _, mac = (cookie or "").partition(".")
        expected = hmac.new(self._flow_key(), body.encode(), hashlib.sha256).hexdigest()
        if not body or not hmac.compare_digest(mac.encode(), expected.encode()):
            raise SsoRefused("this sign-on was not started from this browser; start again", code="sso_state")
        flow: dict[str, Any] = json.loads(base64.urlsafe_b64decode(body.encode()))
        if int(flow.get("exp", 0)) < time.time():
            raise SsoRefused("this sign-on took too long; start again", code="sso_expired")
        if not state or not hmac.compare_digest(str(flow.get("state", "")).encode(), state.encode()):
            raise SsoRefused("the provider's answer does not belong to this sign-on (state); start again",
                             code="sso_state")
        return flow

    # -- the two halves of a sign-on -------------------------------------------------------------
    async def start(self, redirect_uri: str, next_path: str) -> tuple[str, str]:
        """The provider's authorization URL and the flow cookie to set."""
        client = self.client()
        try:
            await self._discover(client)
            found = await client.create_authorization_url(redirect_uri)
        except LeakwardenError:
            raise
        except Exception as exc:  # the provider is down or its discovery document is broken
            raise SsoRefused(f"the sign-on provider cannot be reached ({type(exc).__name__})",
                             code="sso_unavailable") from None
        flow = {"state": found["state"], "nonce": found["nonce"], "verifier": found["code_verifier"],
                "redirect_uri": redirect_uri, "next": next_path}
        return found["url"], self.seal_flow(flow)

    async def finish(self, flow: Mapping[str, Any], code: str) -> dict[str, Any]:
        """Redeem the code (with the PKCE verifier) and return the ID token's checked claims."""
        from joserfc.errors import JoseError

        client = self.client()
        try:
            await self._discover(client)
            token = await client.fetch_access_token(redirect_uri=flow["redirect_uri"], code=code,
                                                    code_verifier=flow["verifier"])
        except LeakwardenError:
            raise
        except Exception as exc:
            raise SsoRefused(f"the provider did not accept the sign-on code ({type(exc).__name__})",
                             code="sso_token") from None
        if not isinstance(token, dict) or "id_token" not in token:
            raise SsoRefused("the provider sent no ID token", code="sso_token")
        try:
            claims = await client.parse_id_token(
                token, nonce=flow["nonce"], leeway=LEEWAY_S,
                claims_options={"iss": {"essential": True, "value": client.server_metadata["issuer"]},
                                "aud": {"essential": True, "values": [self.client_id]}})
        except JoseError as exc:
            raise SsoRefused(f"the ID token is not valid: {exc.error}"
                             + (f" ({exc.description})" if exc.description else ""), code="sso_invalid_token") from None
        except Exception as exc:  # a JWKS that cannot be fetched or read
            raise SsoRefused(f"the ID token could not be checked ({type(exc).__name__})",
                             code="sso_invalid_token") from None
        return dict(claims)

    async def _discover(self, client: Any) -> None:
        metadata = await client.load_server_metadata()
        if metadata.get("issuer", "").rstrip("/") != self.issuer:
            client.server_metadata.clear()  # fetched again next time
            raise SsoRefused("the provider's discovery document names another issuer", code="sso_unavailable")
