"""OpenID Connect login (authorization code flow with PKCE) for deployments with an identity
provider. The provider says who someone is; CSM decides what they may do: a local account bound
to that identity by (issuer, subject) (`csm users add NAME --oidc-subject SUB`) gives role and
scope, or else the role and sites claims named in the configuration do. A claim such as `email`
never selects a local account: the provider may let anyone set it, verified or not.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
import threading
import time
from dataclasses import dataclass
from functools import cached_property
from typing import Any
from urllib.parse import urlencode

import httpx
import jwt

from csm.auth.principal import Principal
from csm.auth.roles import Role
from csm.auth.secrets import read_secret

# An unknown key id refreshes the key set at most this often: a flood of made-up key ids must
# not turn CSM into a load generator against the identity provider.
JWKS_REFRESH_COOLDOWN = 10.0


class OidcError(ValueError):
    """The identity provider's answer could not be trusted (401) or does not grant access (403)."""

    def __init__(self, message: str, status: int = 403) -> None:
        super().__init__(message)
        self.status = status


class KeySet:
    """The provider's signing keys by key id; an unknown id refreshes the set once, then fails."""

    def __init__(self, uri: str) -> None:
        self.uri = uri
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched = False
        self._last_refresh = -1e9
        self._lock = threading.Lock()
        self.fetches = 0

    def _fetch(self) -> None:
        response = httpx.get(self.uri, timeout=10)
        response.raise_for_status()
        self.fetches += 1
        keys: dict[str, jwt.PyJWK] = {}
        for entry in jwt.PyJWKSet.from_dict(response.json()).keys:
            if entry.key_id:
                keys[entry.key_id] = entry
        self._keys = keys

    def key(self, kid: str) -> jwt.PyJWK:
        with self._lock:
            if not self._fetched:
                self._fetch()
                self._fetched = True
            if kid not in self._keys and time.monotonic() - self._last_refresh > JWKS_REFRESH_COOLDOWN:
                self._last_refresh = time.monotonic()
                self._fetch()
            found = self._keys.get(kid)
        if found is None:
            raise OidcError("ID token signed with an unknown key", status=401)
        return found


@dataclass(frozen=True)
class OidcConfig:
    issuer: str
    client_id: str
    client_secret: str | None
    redirect_url: str | None = None
    role_claim: str = "csm_role"
    sites_claim: str = "csm_sites"
    username_claim: str = "email"

    @classmethod
    def from_env(cls) -> OidcConfig | None:
        issuer = os.environ.get("CSM_OIDC_ISSUER")
        client_id = os.environ.get("CSM_OIDC_CLIENT_ID")
        if not issuer or not client_id:
            return None
        return cls(
            issuer=issuer.rstrip("/"),
            client_id=client_id,
            client_secret=read_secret("CSM_OIDC_CLIENT_SECRET"),
            redirect_url=os.environ.get("CSM_OIDC_REDIRECT_URL"),
            role_claim=os.environ.get("CSM_OIDC_ROLE_CLAIM", "csm_role"),
            sites_claim=os.environ.get("CSM_OIDC_SITES_CLAIM", "csm_sites"),
            username_claim=os.environ.get("CSM_OIDC_USERNAME_CLAIM", "email"),
        )


class OidcClient:
    def __init__(self, config: OidcConfig) -> None:
        self.config = config

    @cached_property
    def metadata(self) -> dict[str, Any]:
        url = f"{self.config.issuer}/.well-known/openid-configuration"
        response = httpx.get(url, timeout=10)
        response.raise_for_status()
        metadata: dict[str, Any] = response.json()
        if metadata.get("issuer", "").rstrip("/") != self.config.issuer:
            raise OidcError("discovery document names another issuer")
        return metadata

    @cached_property
    def keys(self) -> KeySet:
        return KeySet(self.metadata["jwks_uri"])

    def start(self, redirect_uri: str) -> tuple[str, dict[str, str]]:
        """The provider URL to send the browser to, and the state to keep in a signed cookie."""
        state, nonce, verifier = (secrets.token_urlsafe(24) for _ in range(3))
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        query = urlencode({
            "response_type": "code", "client_id": self.config.client_id, "redirect_uri": redirect_uri,
            "scope": "openid email profile", "state": state, "nonce": nonce,
            "code_challenge": challenge, "code_challenge_method": "S256",
        })
        return f"{self.metadata['authorization_endpoint']}?{query}", {
            "state": state, "nonce": nonce, "verifier": verifier, "redirect_uri": redirect_uri,
        }

    def finish(self, code: str, kept: dict[str, str]) -> dict[str, Any]:
        """Exchange the code and verify the ID token (signature, issuer, audience, nonce, expiry)."""
        data = {
            "grant_type": "authorization_code", "code": code, "redirect_uri": kept["redirect_uri"],
            "client_id": self.config.client_id, "code_verifier": kept["verifier"],
        }
        if self.config.client_secret:
            data["client_secret"] = self.config.client_secret
        response = httpx.post(self.metadata["token_endpoint"], data=data, timeout=10)
        if response.status_code != 200:
            raise OidcError(f"token endpoint refused the code ({response.status_code})")
        id_token = response.json().get("id_token")
        if not id_token:
            raise OidcError("no id_token in the token response")
        try:
            kid = jwt.get_unverified_header(id_token).get("kid")
            key = self.keys.key(str(kid))
            claims: dict[str, Any] = jwt.decode(
                id_token, key.key, algorithms=["RS256", "ES256"], audience=self.config.client_id,
                issuer=self.metadata["issuer"], options={"require": ["exp", "iat", "sub"]},
            )
        except jwt.PyJWTError as exc:
            raise OidcError(f"ID token rejected: {exc}", status=401) from exc
        except httpx.HTTPError as exc:
            raise OidcError(f"the identity provider's keys could not be read: {exc}", status=502) from exc
        if claims.get("nonce") != kept["nonce"]:
            raise OidcError("ID token nonce does not match this login", status=401)
        return claims

    def principal(self, claims: dict[str, Any], local: Principal | None) -> Principal:
        """Role and scope from the bound local account, else from the configured claims (under a
        name marked `oidc:` so it never reads as a local account in the audit)."""
        if local is not None:
            return Principal(local.name, local.role, local.sites, local.zones, auth_method="oidc")
        name = "oidc:" + str(claims.get(self.config.username_claim) or claims["sub"])[:100]
        try:
            role = Role(str(claims.get(self.config.role_claim)))
        except ValueError as exc:
            raise OidcError(f"{name} has no CSM role: ask an administrator for access") from exc
        sites = claims.get(self.config.sites_claim) or []
        if isinstance(sites, str):
            sites = json.loads(sites) if sites.startswith("[") else sites.split()
        if not sites:
            raise OidcError(f"{name} has no CSM sites: ask an administrator for access")
        if role is Role.EVENT_ORGANISER:
            raise OidcError("event organisers need a local account that scopes their zones")
        return Principal(name, role, frozenset(sites), auth_method="oidc-claims")


_CLIENTS: dict[OidcConfig, OidcClient] = {}
_CLIENTS_LOCK = threading.Lock()


def client_for(config: OidcConfig) -> OidcClient:
    """One client per configuration, so discovery and keys are fetched once, not per login."""
    with _CLIENTS_LOCK:
        client = _CLIENTS.get(config)
        if client is None:
            client = _CLIENTS[config] = OidcClient(config)
        return client
