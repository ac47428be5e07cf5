"""`manage.py issue_token`: access tokens for support and scripts."""

from io import StringIO

import jwt
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from rest_framework.test import APIClient

from users import tokens
from users.models import User
from users.tests.factories import UserFactory


def issue_token(*args: str) -> tuple[str, str]:
    """Runs the command and returns what it printed on stdout and on stderr."""
    out, err = StringIO(), StringIO()
    call_command("issue_token", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def lifetime_in_seconds(token: str) -> int:
    claims = jwt.decode(token, options={"verify_signature": False})
    return claims["exp"] - claims["iat"]


def test_the_token_lets_a_frontend_act_as_the_user(user: User):
    out, err = issue_token(user.email)
    token = out.strip()

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    response = client.get("/api/auth/me")

    assert response.status_code == 200
    assert response.json()["id"] == user.pk
    assert out == f"{token}\n"
    assert f"Access token for {user.pk}" in err


def test_the_token_is_the_services_own_access_token_with_the_default_lifetime(user: User, settings):
    out, _ = issue_token(user.pk)

    verified = tokens.verify_access_token(out.strip())
    assert verified.is_own
    assert verified.subject == user.pk
    assert verified.claims["type"] == "access"
    assert lifetime_in_seconds(out.strip()) == settings.JWT_ACCESS_TOKEN_MINUTES * 60


def test_the_user_is_found_by_email_in_any_case(db):
    user = UserFactory(email="ada@example.com")

    out, _ = issue_token("  ADA@Example.COM ")

    assert tokens.verify_access_token(out.strip()).subject == user.pk


def test_minutes_sets_the_lifetime(user: User):
    out, err = issue_token(user.pk, "--minutes", "120")

    assert lifetime_in_seconds(out.strip()) == 120 * 60
    assert "valid 120 minutes" in err


@pytest.mark.parametrize("minutes", ["0", "-5", "1441"])
def test_minutes_outside_one_minute_to_one_day_are_refused(user: User, minutes: str):
    with pytest.raises(CommandError, match="--minutes must be between 1 and 1440"):
        issue_token(user.pk, "--minutes", minutes)


@pytest.mark.django_db
@pytest.mark.parametrize("email_or_id", ["nobody@example.com", "no-such-id"])
def test_an_unknown_user_is_refused(email_or_id: str):
    with pytest.raises(CommandError, match=f"No user with the email or id '{email_or_id}'"):
        issue_token(email_or_id)


def test_an_inactive_user_gets_no_token(db):
    user = UserFactory(is_active=False)

    with pytest.raises(CommandError, match="is inactive"):
        issue_token(user.email)


def test_the_user_argument_is_required(db):
    with pytest.raises(CommandError, match="the following arguments are required: EMAIL_OR_ID"):
        issue_token()
