"""Fixtures shared by every app's tests: users, their tokens, and API clients."""

import pytest
from rest_framework.test import APIClient

from users.models import User
from users.tests.factories import UserFactory, access_token_for


@pytest.fixture(autouse=True)
def _fast_and_isolated(settings) -> None:
    """Cheap password hashing, static files without collectstatic, and a fresh cache."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def user(db) -> User:
    return UserFactory()


@pytest.fixture
def other_user(db) -> User:
    return UserFactory()


@pytest.fixture
def api_client() -> APIClient:
    """A client with no credentials, as a frontend before sign-in."""
    return APIClient()


@pytest.fixture
def auth_client(user: User) -> APIClient:
    """A client that sends `user`'s bearer token with every request."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access_token_for(user)}")
    return client


@pytest.fixture
def other_client(other_user: User) -> APIClient:
    """A client signed in as `other_user`."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access_token_for(other_user)}")
    return client
