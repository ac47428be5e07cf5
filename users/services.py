"""Operations on users that are more than a save: registration, just-in-time creation, and
the lookup behind every authenticated request."""

import random
from typing import Any

from django.contrib.auth.hashers import make_password
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, IntegrityError, transaction

from users.models import User, normalize_email


def user_register(*, email: str, password: str, name: str = "") -> User:
    """Creates a user with a random id and a hashed password (already validated).

    Raises IntegrityError when the email was taken meanwhile.
    """
    # A savepoint, so that a duplicate email leaves any surrounding transaction usable.
    with transaction.atomic():
        return User.objects.create_user(email=email, password=password, name=name)


def user_get_or_create_external(*, user_id: str, claims: dict[str, Any]) -> User:
    """The user for an external identity provider's subject, created on its first request.

    The provider owns the identity, so its `sub` becomes the id, and the user signs in
    there, never with a password here. An email that another account already holds is
    left out rather than refusing the person entry.
    """
    user = User.objects.filter(pk=user_id).order_by().first()
    if user is not None:
        return user
    email = claims.get("email")
    email = normalize_email(email) if isinstance(email, str) and email.strip() else None
    if email and User.objects.filter(email=email).exists():
        email = None
    name = claims.get("name")
    fields = {
        "email": email,
        "name": name[:150] if isinstance(name, str) else "",
        "password": make_password(None),
    }
    try:
        with transaction.atomic():
            return User.objects.create(pk=user_id, **fields)
    except IntegrityError:
        # A concurrent first request of the same subject created the user a moment ago,
        # or another account took the email meanwhile.
        user = User.objects.filter(pk=user_id).order_by().first()
        if user is not None:
            return user
        return User.objects.create(pk=user_id, **{**fields, "email": None})


# How long a worker trusts that a user is still active without asking the database. A
# deactivation through user_forget_cached (the admin does) takes effect at once where the
# cache is shared (Redis), and within this many seconds in each worker's local cache. At
# 60 s, with 10k users each calling every minute or so, half the requests still queried
# their user (docs/performance.md); an access token is trusted for 15 minutes anyway.
ACTIVE_USER_CACHE_SECONDS = 300


def _active_user_key(user_id: str) -> str:
    return f"users:active:{user_id}"


def user_get_for_request(*, user_id: str) -> User | None:
    """The user a verified token names, or None; a recently seen active user costs no query.

    The user comes back with only `id` and `is_active` loaded: everything a request needs
    to scope and authorize it. Other fields load on first access.
    """
    if cache.get(_active_user_key(user_id)):
        return User.from_db(DEFAULT_DB_ALIAS, ["id", "is_active"], [user_id, True])
    user = User.objects.only("id", "is_active").filter(pk=user_id).order_by().first()
    if user is not None and user.is_active:
        # Spread over the last fifth of the period: marks set together in a burst (a
        # deploy's first minute) would otherwise expire together, and so many requests
        # query their user at once that the tail latency jumps (docs/performance.md).
        timeout = random.uniform(0.8, 1.0) * ACTIVE_USER_CACHE_SECONDS  # noqa: S311
        cache.set(_active_user_key(user_id), True, timeout)
    return user


def user_forget_cached(*, user_id: str) -> None:
    """Makes the next request of this user ask the database again (after deactivating it)."""
    cache.delete(_active_user_key(user_id))
