"""A small, real OpenID Connect issuer for tests: discovery, authorize, token, JWKS (RS256).

It signs ID tokens with its own RSA key and checks PKCE, so CSM's login flow is exercised end to
end over real HTTP, without any outside identity provider.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode

import jwt
import uvicorn
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import RedirectResponse


@dataclass
class LocalIssuer:
    client_id: str = "csm-test"
    client_secret: str = "issuer-test-secret"
    claims: dict[str, Any] = field(default_factory=lambda: {"email": "ops@politie.example"})
    subject: str = "user-123"
    port: int = 0
    # The key id the issuer signs with; one the JWKS does not list plays a forged or rotated key.
    signing_kid: str = "test-key"
    published_kids: tuple[str, ...] = ("test-key",)
    jwks_requests: int = 0
    _key: rsa.RSAPrivateKey = field(default_factory=lambda: rsa.generate_private_key(65537, 2048))
    _codes: dict[str, dict[str, str]] = field(default_factory=dict)
    _server: uvicorn.Server | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def app(self) -> FastAPI:
        app = FastAPI()
        public = jwt.algorithms.RSAAlgorithm.to_jwk(self._key.public_key(), as_dict=True)

        @app.get("/.well-known/openid-configuration")
        def discovery() -> dict[str, Any]:
            return {
                "issuer": self.url, "authorization_endpoint": f"{self.url}/authorize",
                "token_endpoint": f"{self.url}/token", "jwks_uri": f"{self.url}/jwks",
                "response_types_supported": ["code"], "id_token_signing_alg_values_supported": ["RS256"],
            }

        @app.get("/jwks")
        def jwks() -> dict[str, Any]:
            self.jwks_requests += 1
            return {"keys": [{**public, "kid": kid, "use": "sig", "alg": "RS256"} for kid in self.published_kids]}

        @app.get("/authorize")
        def authorize(client_id: str, redirect_uri: str, state: str, nonce: str, code_challenge: str,
                      code_challenge_method: str, response_type: str, scope: str) -> RedirectResponse:
            if client_id != self.client_id or code_challenge_method != "S256" or "openid" not in scope:
                raise HTTPException(400, "bad authorization request")
            code = secrets.token_urlsafe(16)
            self._codes[code] = {"nonce": nonce, "challenge": code_challenge, "redirect_uri": redirect_uri}
            return RedirectResponse(f"{redirect_uri}?{urlencode({'code': code, 'state': state})}")

        @app.post("/token")
        async def token(request: Request) -> dict[str, Any]:
            form = {k: v[0] for k, v in parse_qs((await request.body()).decode()).items()}
            code, redirect_uri, client_id = form.get("code", ""), form.get("redirect_uri"), form.get("client_id")
            code_verifier, client_secret = form.get("code_verifier", ""), form.get("client_secret", "")
            if form.get("grant_type") != "authorization_code":
                raise HTTPException(400, "unsupported_grant_type")
            kept = self._codes.pop(code, None)
            if kept is None or client_secret != self.client_secret or redirect_uri != kept["redirect_uri"]:
                raise HTTPException(400, "invalid_grant")
            digest = base64.urlsafe_b64encode(hashlib.sha256(code_verifier.encode()).digest()).rstrip(b"=")
            if digest.decode() != kept["challenge"]:
                raise HTTPException(400, "PKCE verification failed")
            now = int(time.time())
            id_token = jwt.encode(
                {"iss": self.url, "aud": client_id, "sub": self.subject, "iat": now, "exp": now + 300,
                 "nonce": kept["nonce"], **self.claims},
                self._key, algorithm="RS256", headers={"kid": self.signing_kid},
            )
            return {"access_token": "opaque", "token_type": "Bearer", "id_token": id_token}

        return app

    def start(self) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self._server = uvicorn.Server(uvicorn.Config(self.app(), host="127.0.0.1", port=self.port, log_level="error"))
        threading.Thread(target=self._server.run, daemon=True).start()
        while not self._server.started:
            time.sleep(0.02)

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
