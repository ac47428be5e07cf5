"""Fixtures for the authentication tests: signing keys, a local JWKS endpoint, and tokens
shaped like those of Better Auth's JWT plugin."""

import base64
import hashlib
import hmac
import json
import secrets
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from django.conf import settings
from django.utils import timezone
from jwt.algorithms import get_default_algorithms

from users import tokens

# Better Auth's defaults for both: the frontend's base URL.
ISSUER = "http://localhost:3000"
AUDIENCE = "http://localhost:3000"

JWKSBehaviour = Literal["serve", "fail", "hang"]


@dataclass(frozen=True)
class SigningKey:
    """A key pair of an external issuer, known to verifiers by its `kid`."""

    algorithm: str
    private_key: PrivateKeyTypes
    kid: str = field(default_factory=lambda: secrets.token_urlsafe(12))

    def public_jwk(self) -> dict[str, Any]:
        """The public half as the issuer's JWKS endpoint publishes it."""
        algorithm = get_default_algorithms()[self.algorithm]
        jwk = algorithm.to_jwk(self.private_key.public_key(), as_dict=True)
        return {**jwk, "kid": self.kid, "alg": self.algorithm}


def ed25519_key() -> SigningKey:
    """The kind of key Better Auth's JWT plugin creates by default."""
    return SigningKey("EdDSA", ed25519.Ed25519PrivateKey.generate())


def es256_key() -> SigningKey:
    return SigningKey("ES256", ec.generate_private_key(ec.SECP256R1()))


def rs256_key() -> SigningKey:
    return SigningKey("RS256", rsa.generate_private_key(public_exponent=65537, key_size=2048))


def better_auth_claims(*, user_id: str | None = None, **overrides: Any) -> dict[str, Any]:
    """The claims Better Auth's JWT plugin signs: the session's user, `sub`, and the times."""
    if user_id is None:
        user_id = secrets.token_hex(16)  # Better Auth's ids: 32 alphanumeric characters.
    now = timezone.now()
    created_at = (now - timedelta(days=3)).isoformat(timespec="milliseconds")
    claims = {
        "id": user_id,
        "name": "Ada Lovelace",
        "email": "ada@example.com",
        "emailVerified": True,
        "image": None,
        "createdAt": created_at,
        "updatedAt": created_at,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(minutes=15)).timestamp()),
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": user_id,
    }
    return {**claims, **overrides}


def sign(claims: dict[str, Any], key: SigningKey, *, kid: str | None = None) -> str:
    """A token signed as Better Auth signs: header `{alg, kid}`, no `typ`."""
    headers = {"kid": kid or key.kid, "typ": None}
    return jwt.encode(claims, key.private_key, algorithm=key.algorithm, headers=headers)


def unsafe_token(
    claims: dict[str, Any], *, algorithm: str, secret: bytes | None, kid: str | None = None
) -> str:
    """A token built by hand, for what PyJWT refuses to sign: `alg: none`, or HMAC with a
    public key as the secret (the algorithm-confusion attack)."""

    def encode(part: bytes) -> str:
        return base64.urlsafe_b64encode(part).rstrip(b"=").decode()

    header_fields = {"alg": algorithm, "typ": "JWT"} | ({"kid": kid} if kid else {})
    header = encode(json.dumps(header_fields).encode())
    payload = encode(json.dumps(claims).encode())
    signing_input = f"{header}.{payload}"
    if secret is None:
        return f"{signing_input}."
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{encode(signature)}"


class JWKSServer:
    """A stand-in for Better Auth's `/api/auth/jwks` on 127.0.0.1, counting its fetches.

    `behaviour` makes it serve the key set, answer 500, or accept and never answer;
    `delay` slows every answer down, so that concurrent requests overlap.
    """

    def __init__(self, keys: list[SigningKey]) -> None:
        self.keys = keys
        self.behaviour: JWKSBehaviour = "serve"
        self.delay = 0.0
        self.fetches = 0
        self._count_lock = threading.Lock()
        self._release_hung_requests = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        # A short poll interval lets shutdown() return at once instead of after 0.5 s.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/api/auth/jwks"

    def start(self) -> None:
        self._thread.start()

    def key_set(self) -> Any:
        """The document the endpoint answers."""
        return {"keys": [key.public_jwk() for key in self.keys]}

    def stop(self) -> None:
        self._release_hung_requests.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        jwks_server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                with jwks_server._count_lock:
                    jwks_server.fetches += 1
                time.sleep(jwks_server.delay)
                if jwks_server.behaviour == "hang":
                    jwks_server._release_hung_requests.wait()
                    return
                if jwks_server.behaviour == "fail":
                    self.send_error(500)
                    return
                body = json.dumps(jwks_server.key_set())
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(body.encode())

            def log_message(self, format: str, *args: Any) -> None:
                pass  # Keep the test output clean.

        return Handler


@pytest.fixture(autouse=True)
def _empty_jwks_caches() -> Iterator[None]:
    """Each test starts without the per-process key cache of the tests before it."""
    tokens._jwks_caches.clear()
    yield
    tokens._jwks_caches.clear()


@pytest.fixture
def signing_key() -> SigningKey:
    return ed25519_key()


@pytest.fixture
def jwks_server(signing_key: SigningKey, settings) -> Iterator[JWKSServer]:
    """A JWKS endpoint publishing `signing_key`, configured as the service's issuer."""
    server = JWKSServer([signing_key])
    server.start()
    settings.JWT_JWKS_URL = server.url
    settings.JWT_ISSUER = ISSUER
    settings.JWT_AUDIENCE = AUDIENCE
    yield server
    server.stop()


def own_token(**claims: Any) -> str:
    """A token signed with the service's own key, with exactly the claims given."""
    return jwt.encode(
        claims,
        settings.JWT_SIGNING_KEY,
        algorithm=tokens.OWN_ALGORITHM,
        headers={"kid": tokens.OWN_KEY_ID},
    )
