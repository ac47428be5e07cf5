"""Operations on users that are more than a save: registration and just-in-time creation."""

from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import IntegrityError, transaction

from users.models import User, normalize_email


def user_register(*, email: str, password: str, name: str = "") -> User:
    """Creates a user with a random id and a hashed password (already validated)."""
    return User.objects.create_user(email=email, password=password, name=name)


def user_get_or_create_external(*, user_id: str, claims: dict[str, Any]) -> User:
    """The user for an external identity provider's subject, created on its first request.

    The provider owns the identity, so its `sub` becomes the id, and the user signs in
    there, never with a password here. An email that another account already holds is
    left out rather than refusing the person entry.
    """
    user = User.objects.filter(pk=user_id).first()
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
        user = User.objects.filter(pk=user_id).first()
        if user is not None:
            return user
        return User.objects.create(pk=user_id, **{**fields, "email": None})
