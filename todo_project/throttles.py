"""Request rate limits (OWASP API4), counted in the cache: shared by every worker with Redis.

A fixed window per client and scope costs one atomic cache increment per request, where
DRF's built-in throttles store and rewrite a list of timestamps on each request.
"""

import functools
import time
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.cache import cache
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

if TYPE_CHECKING:  # DRF imports its settings, which import this module: no cycle at run time.
    from rest_framework.views import APIView

PERIODS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "hour": 3600, "d": 86400, "day": 86400}


@functools.cache  # Parsed once per rate, not on every request.
def parse_rate(rate: str) -> tuple[int, int]:
    """'20/min' -> (20 requests, 60 seconds)."""
    count, period = rate.split("/")
    return int(count), PERIODS[period]


class FixedWindowThrottle(BaseThrottle):
    """Allows `rate` requests per window for each identity the subclass names."""

    scope: str

    def identity(self, request: Request) -> str | None:
        raise NotImplementedError

    def allow_request(self, request: Request, view: "APIView") -> bool:
        identity = self.identity(request)
        if identity is None:
            return True
        limit, period = parse_rate(settings.THROTTLE_RATES[self.scope])
        now = time.time()
        window = int(now // period)
        key = f"throttle:{self.scope}:{identity}:{window}"
        try:
            count = cache.incr(key)
        except ValueError:  # The window's first request.
            count = 1 if cache.add(key, 1, timeout=period) else cache.incr(key)
        self._wait = (window + 1) * period - now
        return count <= limit

    def wait(self) -> float:
        return self._wait


class ClientAddressThrottle(FixedWindowThrottle):
    """Per client address: for register and login, where there is no user yet."""

    scope = "auth"

    def identity(self, request: Request) -> str | None:
        return self.get_ident(request)


class UserThrottle(FixedWindowThrottle):
    """Per authenticated user: for the API behind the token."""

    scope = "user"

    def identity(self, request: Request) -> str | None:
        return request.user.pk if request.user is not None else None
