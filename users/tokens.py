"""Bearer tokens: minting the service's own, and verifying its own and external ones.

Which key and algorithm verify a token is decided by the configuration, never by the
token: the header's `alg` only picks among the algorithms configured, so `alg: none` or an
HS256 token signed with a JWKS public key (algorithm confusion) cannot pass.
"""

import binascii
import json
import re
import threading
import time
import urllib.request
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import jwt
from django.conf import settings
from django.utils import timezone

from users.models import USER_ID_PATTERN

OWN_ALGORITHM = "HS256"
# Marks the service's own tokens in their header, so choosing the key needs no payload.
OWN_KEY_ID = "todo-api"
ACCESS = "access"
REFRESH = "refresh"
# Real tokens are a few hundred bytes; refusing huge ones early bounds the work per request.
MAX_TOKEN_LENGTH = 8192
MAX_HEADER_LENGTH = 1024
# Matched whole (fullmatch): with `^...$`, a trailing newline would still match.
SUBJECT = re.compile(USER_ID_PATTERN)


class InvalidToken(Exception):
    """The token cannot be trusted; the message says why, for the client."""


class KeySetUnavailable(Exception):
    """The external key set could not be fetched, so no external token can be checked now."""


@dataclass(frozen=True)
class IssuedTokens:
    """A pair of the service's own tokens, as register, login and refresh answer them."""

    access: str
    refresh: str
    expires_in: int


@dataclass(frozen=True)
class VerifiedToken:
    """The claims of a token whose signature and times were checked."""

    subject: str
    claims: dict[str, Any]
    is_own: bool


def issue_tokens(*, user_id: str) -> IssuedTokens:
    """An access token and a refresh token for a user, signed with the service's own key."""
    access_lifetime = timedelta(minutes=settings.JWT_ACCESS_TOKEN_MINUTES)
    return IssuedTokens(
        access=_own_token(user_id=user_id, token_type=ACCESS, lifetime=access_lifetime),
        refresh=_own_token(
            user_id=user_id,
            token_type=REFRESH,
            lifetime=timedelta(days=settings.JWT_REFRESH_TOKEN_DAYS),
        ),
        expires_in=int(access_lifetime.total_seconds()),
    )


def issue_access_token(*, user_id: str, lifetime: timedelta) -> str:
    """An access token of the service's own with a chosen lifetime (support and scripts)."""
    return _own_token(user_id=user_id, token_type=ACCESS, lifetime=lifetime)


def _own_token(*, user_id: str, token_type: str, lifetime: timedelta) -> str:
    now = timezone.now()
    claims = {
        "iss": settings.JWT_OWN_ISSUER,
        "sub": user_id,
        "iat": now,
        "exp": now + lifetime,
        "type": token_type,
    }
    return jwt.encode(
        claims, settings.JWT_SIGNING_KEY, algorithm=OWN_ALGORITHM, headers={"kid": OWN_KEY_ID}
    )


def verify_refresh_token(token: str) -> VerifiedToken:
    """The claims of one of the service's own refresh tokens."""
    return _verify_own(token, expected_type=REFRESH)


def verify_access_token(token: str) -> VerifiedToken:
    """The claims of an access token: the service's own, or one from a configured issuer."""
    if len(token) > MAX_TOKEN_LENGTH:
        raise InvalidToken("The token is too long.")
    header = _unverified_header(token)
    algorithm = header.get("alg")
    if algorithm == OWN_ALGORITHM and header.get("kid") == OWN_KEY_ID:
        return _verify_own(token, expected_type=ACCESS)
    if algorithm == "HS256" and settings.JWT_SECRET:
        return _verify_external(token, key=settings.JWT_SECRET, algorithm="HS256")
    if settings.JWT_JWKS_URL and algorithm in settings.JWT_JWKS_ALGORITHMS:
        key = jwks_cache().key_for(header.get("kid"))
        if key.algorithm_name != algorithm:
            raise InvalidToken("The token's algorithm does not match its key.")
        return _verify_external(token, key=key, algorithm=algorithm)
    raise InvalidToken("The token's algorithm is not accepted.")


def _unverified_header(token: str) -> dict[str, Any]:
    """The token's header, read only to choose the key; PyJWT then checks the whole token.

    Parsed by hand because PyJWT's own reader decodes and validates every segment, which
    the verification that follows does again: a third of the request's token work.
    """
    segment = token.split(".", 1)[0]
    # A real header is about a hundred bytes; a long one is an attack on the JSON parser.
    if len(segment) > MAX_HEADER_LENGTH:
        raise InvalidToken("The token is malformed.")
    try:
        header = json.loads(jwt.utils.base64url_decode(segment))
    except (ValueError, binascii.Error, RecursionError) as exc:
        raise InvalidToken("The token is malformed.") from exc
    if not isinstance(header, dict):
        raise InvalidToken("The token is malformed.")
    return header


def _verify_own(token: str, *, expected_type: str) -> VerifiedToken:
    claims = _decode(
        token,
        key=settings.JWT_SIGNING_KEY,
        algorithm=OWN_ALGORITHM,
        issuer=settings.JWT_OWN_ISSUER,
        audience="",
    )
    # A refresh token lives for days: it must never pass as an access token, nor the reverse.
    if claims.get("type") != expected_type:
        raise InvalidToken(f"The token's type is not '{expected_type}'.")
    return VerifiedToken(subject=claims["sub"], claims=claims, is_own=True)


def _verify_external(token: str, *, key: Any, algorithm: str) -> VerifiedToken:
    claims = _decode(
        token,
        key=key,
        algorithm=algorithm,
        issuer=settings.JWT_ISSUER,
        audience=settings.JWT_AUDIENCE,
    )
    return VerifiedToken(subject=claims["sub"], claims=claims, is_own=False)


def _decode(token: str, *, key: Any, algorithm: str, issuer: str, audience: str) -> dict[str, Any]:
    try:
        claims = jwt.decode(
            token,
            key=key,
            algorithms=[algorithm],
            issuer=issuer or None,
            audience=audience or None,
            leeway=settings.JWT_LEEWAY_SECONDS,
            options={"require": ["exp", "sub"], "verify_aud": bool(audience)},
        )
    except jwt.ExpiredSignatureError as exc:
        raise InvalidToken("The token has expired.") from exc
    except jwt.ImmatureSignatureError as exc:
        raise InvalidToken("The token is not valid yet.") from exc
    except jwt.InvalidIssuerError as exc:
        raise InvalidToken("The token's issuer is not accepted.") from exc
    except jwt.InvalidAudienceError as exc:
        raise InvalidToken("The token's audience is not accepted.") from exc
    except jwt.MissingRequiredClaimError as exc:
        raise InvalidToken(f"The token has no '{exc.claim}' claim.") from exc
    except jwt.InvalidSignatureError as exc:
        raise InvalidToken("The token's signature is invalid.") from exc
    except jwt.InvalidTokenError as exc:
        raise InvalidToken("The token is invalid.") from exc
    subject = claims["sub"]
    if not isinstance(subject, str) or not SUBJECT.fullmatch(subject):
        raise InvalidToken("The token's subject is not a valid user id.")
    return claims


class JWKSCache:
    """The external issuer's public keys, fetched once and kept per process.

    An unknown `kid` triggers one refetch (the issuer may have rotated its keys), but never
    more often than JWT_JWKS_MIN_REFETCH_SECONDS, so a stream of made-up `kid`s cannot turn
    the service into a client hammering the issuer. Fetches are serialized by a lock, so
    concurrent requests that miss the cache wait for one fetch instead of starting their own.
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self._keys: dict[str, jwt.PyJWK] = {}
        # Staleness counts from the last fetch that succeeded; the refetch rate from the
        # last attempt, so that an issuer that is down is retried, but not hammered.
        self._fetched_at: float | None = None
        self._attempted_at: float | None = None
        self._lock = threading.Lock()

    def key_for(self, kid: str | None) -> jwt.PyJWK:
        if not isinstance(kid, str):
            raise InvalidToken("The token has no key id.")
        key = self._keys.get(kid)
        if key is not None and not self._is_stale():
            return key
        with self._lock:
            if kid not in self._keys or self._is_stale():
                self._refresh()
            key = self._keys.get(kid)
        if key is None:
            raise InvalidToken("The token's key id is unknown.")
        return key

    def _is_stale(self) -> bool:
        return (
            self._fetched_at is None
            or time.monotonic() - self._fetched_at > settings.JWT_JWKS_MAX_AGE_SECONDS
        )

    def _refresh(self) -> None:
        now = time.monotonic()
        if (
            self._attempted_at is not None
            and now - self._attempted_at < settings.JWT_JWKS_MIN_REFETCH_SECONDS
        ):
            if not self._keys:
                raise KeySetUnavailable("the last fetch failed moments ago")
            return
        self._attempted_at = now
        try:
            self._keys = self._fetch()
        except KeySetUnavailable:
            if self._keys:
                return  # Keep trusting the keys we have until the issuer answers again.
            raise
        self._fetched_at = now

    def _fetch(self) -> dict[str, jwt.PyJWK]:
        try:
            with urllib.request.urlopen(  # noqa: S310 - the URL comes from configuration
                self.url, timeout=settings.JWT_JWKS_TIMEOUT_SECONDS
            ) as response:
                document = json.load(response)
            if not isinstance(document, dict):
                raise ValueError("the key set is not a JSON object")
            key_set = jwt.PyJWKSet.from_dict(document)
        except (OSError, ValueError, jwt.PyJWKSetError) as exc:
            raise KeySetUnavailable(str(exc)) from exc
        return {key.key_id: key for key in key_set.keys if isinstance(key.key_id, str)}


_jwks_caches: dict[str, JWKSCache] = {}
_jwks_caches_lock = threading.Lock()


def jwks_cache() -> JWKSCache:
    """The process-wide key cache for the configured JWKS URL."""
    url = settings.JWT_JWKS_URL
    # Two threads creating a cache for the same URL at once would each fetch the key set.
    with _jwks_caches_lock:
        if url not in _jwks_caches:
            _jwks_caches[url] = JWKSCache(url)
        return _jwks_caches[url]
