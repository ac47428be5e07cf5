"""Authentication over HTTP: the service's own tokens, Better Auth's, and every way to fail."""

import json
import re
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from django.conf import settings
from django.http import HttpResponse
from django.utils import timezone
from rest_framework.test import APIClient

from users import tokens
from users.models import User
from users.serializers import RegisterSerializer
from users.tests.conftest import (
    AUDIENCE,
    ISSUER,
    JWKSServer,
    SigningKey,
    better_auth_claims,
    ed25519_key,
    es256_key,
    own_token,
    rs256_key,
    sign,
    unsafe_token,
)
from users.tests.factories import UserFactory, access_token_for

pytestmark = pytest.mark.django_db

REGISTER = "/api/auth/register"
LOGIN = "/api/auth/login"
REFRESH = "/api/auth/refresh"
ME = "/api/auth/me"
PROBLEM_JSON = "application/problem+json"
PASSWORD = "correct-horse-battery"  # UserFactory's password
USER_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
EXPIRES_IN = settings.JWT_ACCESS_TOKEN_MINUTES * 60


def bearer(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def own_claims(user: User, **overrides: Any) -> dict[str, Any]:
    """Valid claims of one of the service's own access tokens."""
    now = timezone.now()
    claims = {
        "iss": settings.JWT_OWN_ISSUER,
        "sub": user.pk,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(minutes=15)).timestamp()),
        "type": "access",
    }
    return {**claims, **overrides}


def seconds_from_now(seconds: int) -> int:
    return int((timezone.now() + timedelta(seconds=seconds)).timestamp())


def assert_unauthorized(response: HttpResponse) -> None:
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response["Content-Type"] == PROBLEM_JSON
    body = response.json()
    assert body["status"] == 401
    assert isinstance(body["detail"], str)
    assert body["detail"]
    assert "access" not in body


def assert_token_pair(body: dict[str, Any], user: User) -> None:
    """The answer of register, login and refresh, whose access token really signs `user` in."""
    assert set(body) == {"access", "refresh", "token_type", "user", "expires_in"}
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == EXPIRES_IN
    assert body["user"] == {
        "id": user.pk,
        "email": user.email,
        "name": user.name,
        "date_joined": user.date_joined.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
    }
    me = APIClient().get(ME, **bearer(body["access"]))
    assert me.status_code == 200
    assert me.json()["id"] == user.pk


# --- Register -------------------------------------------------------------------------


def test_registering_answers_201_with_a_token_pair_and_stores_a_hashed_password(api_client):
    response = api_client.post(
        REGISTER,
        {"email": "Grace.Hopper@Example.com", "password": "a-long-unusual-phrase", "name": "Grace"},
        format="json",
    )

    assert response.status_code == 201
    user = User.objects.get()
    assert_token_pair(response.json(), user)
    assert USER_ID.fullmatch(user.pk)
    assert user.email == "grace.hopper@example.com"
    assert user.name == "Grace"
    assert user.password != "a-long-unusual-phrase"
    assert user.check_password("a-long-unusual-phrase")


def test_registering_without_a_name_stores_an_empty_one(api_client):
    response = api_client.post(
        REGISTER, {"email": "anon@example.com", "password": "a-long-unusual-phrase"}, format="json"
    )

    assert response.status_code == 201
    assert response.json()["user"]["name"] == ""
    assert User.objects.get().name == ""


def test_registering_an_email_taken_in_another_case_is_refused(api_client, user):
    response = api_client.post(
        REGISTER, {"email": user.email.upper(), "password": "a-long-unusual-phrase"}, format="json"
    )

    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM_JSON
    assert response.json()["errors"] == {"email": ["A user with this email already exists."]}
    assert User.objects.count() == 1


def test_a_concurrent_registration_of_the_same_email_answers_400_not_500(
    api_client, user, monkeypatch
):
    # As if the other request committed between this one's uniqueness check and its insert.
    monkeypatch.setattr(RegisterSerializer, "validate_email", lambda self, value: value)

    response = api_client.post(
        REGISTER, {"email": user.email, "password": "a-long-unusual-phrase"}, format="json"
    )

    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM_JSON
    assert response.json()["errors"] == {"email": ["A user with this email already exists."]}
    assert User.objects.count() == 1


@pytest.mark.parametrize(
    ("password", "complaint"),
    [
        ("k9$Lp", "too short"),
        ("iloveyou", "too common"),
        ("40983218734098", "entirely numeric"),
        ("margaret.hamilton", "too similar to the email"),
    ],
)
def test_registering_with_a_weak_password_is_refused_by_djangos_validators(
    api_client, password, complaint
):
    response = api_client.post(
        REGISTER, {"email": "margaret.hamilton@example.com", "password": password}, format="json"
    )

    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM_JSON
    body = response.json()
    assert body["detail"] == "Invalid input."
    assert list(body["errors"]) == ["password"]
    assert any(complaint in message for message in body["errors"]["password"])
    assert not User.objects.exists()


def test_registering_without_email_and_password_names_both_fields(api_client):
    response = api_client.post(REGISTER, {}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "email": ["This field is required."],
        "password": ["This field is required."],
    }


def test_registering_with_values_of_the_wrong_type_names_each_field(api_client):
    response = api_client.post(
        REGISTER, {"email": 5, "password": ["a-long-unusual-phrase"], "name": {}}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "email": ["Enter a valid email address."],
        "password": ["Not a valid string."],
        "name": ["Not a valid string."],
    }
    assert not User.objects.exists()


def test_registering_with_a_body_that_is_not_json_answers_415(api_client):
    response = api_client.post(
        REGISTER,
        "email=a%40example.com&password=a-long-unusual-phrase",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 415
    assert response["Content-Type"] == PROBLEM_JSON
    assert isinstance(response.json()["detail"], str)
    assert not User.objects.exists()


def test_registering_with_malformed_json_answers_400(api_client):
    response = api_client.post(REGISTER, '{"email": ', content_type="application/json")

    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM_JSON
    assert isinstance(response.json()["detail"], str)
    assert not User.objects.exists()


# --- Login ----------------------------------------------------------------------------


def test_logging_in_answers_200_with_a_token_pair_whatever_the_emails_case(api_client, user):
    response = api_client.post(
        LOGIN, {"email": f"  {user.email.upper()}", "password": PASSWORD}, format="json"
    )

    assert response.status_code == 200
    assert_token_pair(response.json(), user)


def test_logging_in_with_a_wrong_password_answers_401(api_client, user):
    response = api_client.post(
        LOGIN, {"email": user.email, "password": "not-the-password"}, format="json"
    )

    assert_unauthorized(response)
    assert response.json()["detail"] == "Invalid email or password."


def test_logging_in_with_an_unknown_email_answers_401(api_client):
    response = api_client.post(
        LOGIN, {"email": "nobody@example.com", "password": PASSWORD}, format="json"
    )

    assert_unauthorized(response)
    assert response.json()["detail"] == "Invalid email or password."


def test_logging_in_as_a_deactivated_user_answers_401(api_client):
    UserFactory(email="gone@example.com", is_active=False)

    response = api_client.post(
        LOGIN, {"email": "gone@example.com", "password": PASSWORD}, format="json"
    )

    assert_unauthorized(response)


# --- Refresh --------------------------------------------------------------------------


def test_refreshing_answers_200_with_a_new_token_pair(api_client, user):
    login = api_client.post(LOGIN, {"email": user.email, "password": PASSWORD}, format="json")

    response = api_client.post(REFRESH, {"refresh": login.json()["refresh"]}, format="json")

    assert response.status_code == 200
    assert_token_pair(response.json(), user)


def test_an_access_token_is_refused_as_a_refresh_token(api_client, user):
    response = api_client.post(REFRESH, {"refresh": access_token_for(user)}, format="json")

    assert_unauthorized(response)
    assert response.json()["detail"] == "The token's type is not 'refresh'."


def test_a_refresh_token_is_refused_as_an_access_token(api_client, user):
    login = api_client.post(LOGIN, {"email": user.email, "password": PASSWORD}, format="json")

    response = api_client.get(ME, **bearer(login.json()["refresh"]))

    assert_unauthorized(response)
    assert response.json()["detail"] == "The token's type is not 'access'."


def test_refreshing_with_garbage_answers_401(api_client):
    response = api_client.post(REFRESH, {"refresh": "not.a.token"}, format="json")

    assert_unauthorized(response)


def test_refreshing_for_a_deactivated_user_answers_401(api_client, user):
    login = api_client.post(LOGIN, {"email": user.email, "password": PASSWORD}, format="json")
    User.objects.filter(pk=user.pk).update(is_active=False)

    response = api_client.post(REFRESH, {"refresh": login.json()["refresh"]}, format="json")

    assert_unauthorized(response)


def test_refreshing_without_a_refresh_token_answers_400(api_client):
    response = api_client.post(REFRESH, {}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == {"refresh": ["This field is required."]}


# --- Me -------------------------------------------------------------------------------


def test_me_answers_the_current_user(auth_client, user):
    response = auth_client.get(ME)

    assert response.status_code == 200
    assert response.json() == {
        "id": user.pk,
        "email": user.email,
        "name": user.name,
        "date_joined": user.date_joined.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
    }


# --- Every 401 of the contract ----------------------------------------------------------


@pytest.mark.parametrize("path", [ME, "/api/someone/tasks"])
def test_a_request_without_a_token_answers_401(api_client, path):
    assert_unauthorized(api_client.get(path))


@pytest.mark.parametrize(
    "authorization",
    ["Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Token abc", "Bearer a b", "Bearer tökén"],
)
def test_a_malformed_authorization_header_answers_401(api_client, authorization):
    assert_unauthorized(api_client.get(ME, HTTP_AUTHORIZATION=authorization))


def test_a_token_signed_with_another_key_answers_401(api_client, user):
    token = jwt.encode(
        own_claims(user),
        "another-key-of-32-bytes-or-more!!",
        algorithm="HS256",
        headers={"kid": tokens.OWN_KEY_ID},
    )

    response = api_client.get(ME, **bearer(token))

    assert_unauthorized(response)
    assert response.json()["detail"] == "The token's signature is invalid."


@pytest.mark.parametrize("algorithm", ["none", "None", "NONE"])
def test_an_unsigned_token_answers_401(api_client, user, algorithm):
    token = unsafe_token(own_claims(user), algorithm=algorithm, secret=None)

    assert_unauthorized(api_client.get(ME, **bearer(token)))


# Signed with the service's own key, so only the algorithm is wrong; PyJWT warns that the key
# is short for HS512.
@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
def test_a_token_with_an_algorithm_not_configured_answers_401(api_client, user):
    token = jwt.encode(own_claims(user), settings.JWT_SIGNING_KEY, algorithm="HS512")

    response = api_client.get(ME, **bearer(token))

    assert_unauthorized(response)
    assert response.json()["detail"] == "The token's algorithm is not accepted."


def test_a_token_expired_within_the_30_second_leeway_is_accepted(api_client, user):
    token = own_token(**own_claims(user, exp=seconds_from_now(-20)))

    response = api_client.get(ME, **bearer(token))

    assert response.status_code == 200
    assert response.json()["id"] == user.pk


def test_a_token_expired_beyond_the_leeway_answers_401(api_client, user):
    token = own_token(**own_claims(user, exp=seconds_from_now(-40)))

    response = api_client.get(ME, **bearer(token))

    assert_unauthorized(response)
    assert response.json()["detail"] == "The token has expired."


def test_a_token_not_valid_before_a_future_time_answers_401(api_client, user):
    token = own_token(**own_claims(user, nbf=seconds_from_now(120)))

    response = api_client.get(ME, **bearer(token))

    assert_unauthorized(response)
    assert response.json()["detail"] == "The token is not valid yet."


@pytest.mark.parametrize("claim", ["sub", "exp"])
def test_a_token_without_a_required_claim_answers_401(api_client, user, claim):
    claims = own_claims(user)
    del claims[claim]

    response = api_client.get(ME, **bearer(own_token(**claims)))

    assert_unauthorized(response)
    assert response.json()["detail"] == f"The token has no '{claim}' claim."


def test_a_token_whose_subject_is_not_a_string_answers_401(api_client, user):
    token = own_token(**own_claims(user, sub=12345))

    assert_unauthorized(api_client.get(ME, **bearer(token)))


def test_a_token_of_a_user_that_does_not_exist_answers_401(api_client):
    token = own_token(**own_claims(User(pk="never-registered")))

    assert_unauthorized(api_client.get(ME, **bearer(token)))


def test_a_token_of_a_deactivated_user_answers_401(api_client, user):
    token = access_token_for(user)
    User.objects.filter(pk=user.pk).update(is_active=False)

    response = api_client.get(ME, **bearer(token))

    assert_unauthorized(response)
    assert response.json()["detail"] == "The token's user does not exist or is inactive."


def test_a_100_kb_token_is_refused_even_when_its_signature_is_valid(api_client, user):
    token = own_token(**own_claims(user, padding="x" * 100_000))

    response = api_client.get(ME, **bearer(token))

    assert_unauthorized(response)
    assert response.json()["detail"] == "The token is too long."


@pytest.mark.parametrize("depth", [200, 5000])
def test_a_header_of_deeply_nested_json_answers_401_not_500(api_client, depth):
    header = jwt.utils.base64url_encode(("[" * depth).encode()).decode()

    response = api_client.get(ME, **bearer(f"{header}.e30.c2ln"))

    assert_unauthorized(response)
    assert response.json()["detail"] == "The token is malformed."


@pytest.mark.parametrize("parameter", ["token", "access_token"])
def test_a_valid_token_in_the_query_string_is_ignored(api_client, user, parameter):
    response = api_client.get(ME, {parameter: access_token_for(user)})

    assert_unauthorized(response)


# --- External tokens: Better Auth's JWTs, verified against its JWKS --------------------


def test_a_better_auth_token_signs_in_a_new_user_created_just_in_time(
    api_client, jwks_server, signing_key
):
    claims = better_auth_claims(email="Ada@Example.com", name="Ada Lovelace")

    response = api_client.get(ME, **bearer(sign(claims, signing_key)))

    assert response.status_code == 200
    user = User.objects.get()
    assert response.json() == {
        "id": claims["sub"],
        "email": "ada@example.com",
        "name": "Ada Lovelace",
        "date_joined": user.date_joined.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
    }
    assert user.pk == claims["sub"]
    assert user.email == "ada@example.com"
    assert user.name == "Ada Lovelace"
    assert not user.has_usable_password()


def test_a_better_auth_users_second_request_finds_the_user_already_created(
    api_client, jwks_server, signing_key
):
    token = sign(better_auth_claims(), signing_key)
    api_client.get(ME, **bearer(token))
    first_seen = User.objects.get()

    response = api_client.get(ME, **bearer(token))

    assert response.status_code == 200
    assert response.json()["id"] == first_seen.pk
    assert User.objects.get().date_joined == first_seen.date_joined


def test_a_better_auth_user_reaches_their_own_tasks(api_client, jwks_server, signing_key):
    claims = better_auth_claims()

    response = api_client.get(f"/api/{claims['sub']}/tasks", **bearer(sign(claims, signing_key)))

    assert response.status_code == 200
    assert response.json() == []


@pytest.mark.parametrize(
    "signing_key", [ed25519_key(), es256_key(), rs256_key()], ids=["EdDSA", "ES256", "RS256"]
)
def test_tokens_signed_with_each_configured_key_type_are_accepted(
    api_client, jwks_server, signing_key
):
    claims = better_auth_claims()

    response = api_client.get(ME, **bearer(sign(claims, signing_key)))

    assert response.status_code == 200
    assert response.json()["id"] == claims["sub"]


def test_a_key_type_left_out_of_the_configured_algorithms_answers_401(
    api_client, jwks_server, settings
):
    settings.JWT_JWKS_ALGORITHMS = ["EdDSA", "ES256"]
    rsa_key = rs256_key()
    jwks_server.keys.append(rsa_key)

    response = api_client.get(ME, **bearer(sign(better_auth_claims(), rsa_key)))

    assert_unauthorized(response)
    assert response.json()["detail"] == "The token's algorithm is not accepted."
    assert not User.objects.exists()


def test_the_key_set_is_fetched_once_for_many_requests(api_client, jwks_server, signing_key):
    for _ in range(5):
        response = api_client.get(ME, **bearer(sign(better_auth_claims(), signing_key)))
        assert response.status_code == 200

    assert jwks_server.fetches == 1
    assert User.objects.count() == 5


def test_concurrent_first_requests_share_one_fetch_of_the_key_set(jwks_server, signing_key):
    jwks_server.delay = 0.2
    token = sign(better_auth_claims(), signing_key)

    with ThreadPoolExecutor(max_workers=8) as pool:
        verified = list(pool.map(lambda _: tokens.verify_access_token(token), range(8)))

    assert {token.subject for token in verified} == {verified[0].claims["sub"]}
    assert jwks_server.fetches == 1


def test_a_new_kid_after_key_rotation_refetches_the_key_set_once(
    api_client, jwks_server, signing_key, settings
):
    settings.JWT_JWKS_MIN_REFETCH_SECONDS = 0
    api_client.get(ME, **bearer(sign(better_auth_claims(), signing_key)))
    rotated_key = ed25519_key()
    jwks_server.keys.append(rotated_key)
    token = sign(better_auth_claims(), rotated_key)

    first = api_client.get(ME, **bearer(token))
    second = api_client.get(ME, **bearer(token))

    assert first.status_code == 200
    assert second.status_code == 200
    assert jwks_server.fetches == 2


def test_made_up_kids_refetch_the_key_set_at_most_once_per_interval(
    api_client, jwks_server, signing_key, settings
):
    settings.JWT_JWKS_MIN_REFETCH_SECONDS = 0
    api_client.get(ME, **bearer(sign(better_auth_claims(), signing_key)))
    first_unknown = api_client.get(ME, **bearer(sign(better_auth_claims(), signing_key, kid="x")))
    assert jwks_server.fetches == 2

    settings.JWT_JWKS_MIN_REFETCH_SECONDS = 3600
    for number in range(20):
        token = sign(better_auth_claims(), signing_key, kid=f"made-up-{number}")
        assert_unauthorized(api_client.get(ME, **bearer(token)))

    assert_unauthorized(first_unknown)
    assert first_unknown.json()["detail"] == "The token's key id is unknown."
    assert jwks_server.fetches == 2
    assert User.objects.count() == 1  # Only the user of the one valid token.


def test_stale_keys_are_refetched_and_a_key_the_issuer_dropped_is_no_longer_trusted(
    api_client, jwks_server, signing_key, settings
):
    token = sign(better_auth_claims(), signing_key)
    assert api_client.get(ME, **bearer(token)).status_code == 200
    jwks_server.keys = [ed25519_key()]
    settings.JWT_JWKS_MAX_AGE_SECONDS = 0
    settings.JWT_JWKS_MIN_REFETCH_SECONDS = 0

    response = api_client.get(ME, **bearer(token))

    assert_unauthorized(response)
    assert jwks_server.fetches == 2


def test_cached_keys_keep_working_while_the_issuer_is_down(
    api_client, jwks_server, signing_key, settings
):
    token = sign(better_auth_claims(), signing_key)
    assert api_client.get(ME, **bearer(token)).status_code == 200
    jwks_server.behaviour = "fail"
    settings.JWT_JWKS_MAX_AGE_SECONDS = 0
    settings.JWT_JWKS_MIN_REFETCH_SECONDS = 0

    response = api_client.get(ME, **bearer(token))

    assert response.status_code == 200
    assert jwks_server.fetches == 2


def test_an_issuer_that_was_down_is_asked_again_at_the_refetch_rate_not_the_max_age(
    api_client, jwks_server, signing_key, settings
):
    settings.JWT_JWKS_MIN_REFETCH_SECONDS = 0
    settings.JWT_JWKS_MAX_AGE_SECONDS = 0.1
    token = sign(better_auth_claims(), signing_key)
    assert api_client.get(ME, **bearer(token)).status_code == 200
    time.sleep(0.2)  # The keys are now stale.
    jwks_server.behaviour = "fail"
    assert api_client.get(ME, **bearer(token)).status_code == 200
    jwks_server.behaviour = "serve"
    jwks_server.keys = [ed25519_key()]

    response = api_client.get(ME, **bearer(token))

    # A failed fetch does not count as a fresh one: the dropped key is noticed at once.
    assert_unauthorized(response)
    assert jwks_server.fetches == 3


def assert_identity_provider_unavailable(response: HttpResponse) -> None:
    assert response.status_code == 503
    assert response["Content-Type"] == PROBLEM_JSON
    assert int(response["Retry-After"]) > 0
    body = response.json()
    assert body["status"] == 503
    assert body["detail"] == (
        "The identity provider's keys could not be fetched; try again shortly."
    )


def test_a_failing_key_set_endpoint_answers_503_and_is_not_asked_again_at_once(
    api_client, jwks_server, signing_key
):
    jwks_server.behaviour = "fail"
    token = sign(better_auth_claims(), signing_key)

    first = api_client.get(ME, **bearer(token))
    second = api_client.get(ME, **bearer(token))

    assert_identity_provider_unavailable(first)
    assert_identity_provider_unavailable(second)
    assert jwks_server.fetches == 1
    assert not User.objects.exists()


def test_a_key_set_endpoint_that_never_answers_gives_503_within_the_timeout(
    api_client, jwks_server, signing_key, settings
):
    settings.JWT_JWKS_TIMEOUT_SECONDS = 0.2
    jwks_server.behaviour = "hang"
    token = sign(better_auth_claims(), signing_key)

    started = time.monotonic()
    response = api_client.get(ME, **bearer(token))

    assert time.monotonic() - started < 2
    assert_identity_provider_unavailable(response)
    assert jwks_server.fetches == 1


def test_an_unreachable_key_set_endpoint_answers_503(api_client, signing_key, settings):
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    settings.JWT_JWKS_URL = f"http://127.0.0.1:{port}/api/auth/jwks"

    response = api_client.get(ME, **bearer(sign(better_auth_claims(), signing_key)))

    assert_identity_provider_unavailable(response)


@pytest.mark.parametrize("document", [["not", "a", "key", "set"], {"keys": []}, {"keys": "x"}])
def test_a_key_set_endpoint_answering_something_else_answers_503(
    api_client, jwks_server, signing_key, monkeypatch, document
):
    monkeypatch.setattr(JWKSServer, "key_set", lambda self: document)

    response = api_client.get(ME, **bearer(sign(better_auth_claims(), signing_key)))

    assert_identity_provider_unavailable(response)


def test_an_unknown_kid_answers_401(api_client, jwks_server):
    stranger = ed25519_key()

    response = api_client.get(ME, **bearer(sign(better_auth_claims(), stranger)))

    assert_unauthorized(response)
    assert response.json()["detail"] == "The token's key id is unknown."


def test_a_token_signed_by_another_key_under_a_known_kid_answers_401(
    api_client, jwks_server, signing_key
):
    impostor = ed25519_key()

    response = api_client.get(
        ME, **bearer(sign(better_auth_claims(), impostor, kid=signing_key.kid))
    )

    assert_unauthorized(response)
    assert response.json()["detail"] == "The token's signature is invalid."


@pytest.mark.parametrize(
    ("claim", "value", "detail"),
    [
        ("iss", "https://evil.example.com", "The token's issuer is not accepted."),
        ("aud", "https://another-api.example.com", "The token's audience is not accepted."),
    ],
)
def test_a_token_for_another_issuer_or_audience_answers_401(
    api_client, jwks_server, signing_key, claim, value, detail
):
    token = sign(better_auth_claims(**{claim: value}), signing_key)

    response = api_client.get(ME, **bearer(token))

    assert_unauthorized(response)
    assert response.json()["detail"] == detail
    assert not User.objects.exists()


@pytest.mark.parametrize("claim", ["iss", "aud"])
def test_a_token_without_the_configured_issuer_or_audience_answers_401(
    api_client, jwks_server, signing_key, claim
):
    claims = better_auth_claims()
    del claims[claim]

    response = api_client.get(ME, **bearer(sign(claims, signing_key)))

    assert_unauthorized(response)
    assert response.json()["detail"] == f"The token has no '{claim}' claim."


def test_the_audience_is_not_checked_when_none_is_configured(
    api_client, jwks_server, signing_key, settings
):
    settings.JWT_AUDIENCE = ""
    token = sign(better_auth_claims(aud="https://whatever.example.com"), signing_key)

    assert api_client.get(ME, **bearer(token)).status_code == 200


def test_a_better_auth_token_expired_beyond_the_leeway_answers_401(
    api_client, jwks_server, signing_key
):
    claims = better_auth_claims(iat=seconds_from_now(-960), exp=seconds_from_now(-60))

    response = api_client.get(ME, **bearer(sign(claims, signing_key)))

    assert_unauthorized(response)
    assert response.json()["detail"] == "The token has expired."


def test_an_hs256_token_answers_401_when_only_a_jwks_is_configured(api_client, jwks_server):
    token = jwt.encode(better_auth_claims(), "some-secret-of-32-bytes-or-more!!", algorithm="HS256")

    response = api_client.get(ME, **bearer(token))

    assert_unauthorized(response)
    assert response.json()["detail"] == "The token's algorithm is not accepted."


def public_key_as_secrets(key: SigningKey) -> list[bytes]:
    """Every form of the public key an attacker could use as an HMAC secret."""
    public_key = key.private_key.public_key()
    return [
        public_key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ),
        public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw),
        json.dumps(key.public_jwk()).encode(),
    ]


@pytest.mark.parametrize("jwks_algorithms", [["EdDSA", "ES256", "RS256"], ["EdDSA", "HS256"]])
def test_an_hs256_token_signed_with_the_jwks_public_key_answers_401(
    api_client, jwks_server, signing_key, settings, jwks_algorithms
):
    # The second case guards against a misconfiguration: the key's own algorithm decides.
    settings.JWT_JWKS_ALGORITHMS = jwks_algorithms
    claims = better_auth_claims()

    for secret in public_key_as_secrets(signing_key):
        token = unsafe_token(claims, algorithm="HS256", secret=secret, kid=signing_key.kid)
        assert_unauthorized(api_client.get(ME, **bearer(token)))

    assert not User.objects.exists()


# --- External tokens signed with a shared secret (HS256) --------------------------------

SHARED_SECRET = "a-shared-secret-of-32-bytes-or-more"


def test_an_hs256_token_signed_with_the_shared_secret_signs_in_a_new_user(api_client, settings):
    settings.JWT_SECRET = SHARED_SECRET
    settings.JWT_ISSUER = ISSUER
    settings.JWT_AUDIENCE = AUDIENCE
    claims = better_auth_claims(email="grace@example.com", name="Grace Hopper")

    response = api_client.get(ME, **bearer(jwt.encode(claims, SHARED_SECRET, algorithm="HS256")))

    assert response.status_code == 200
    assert response.json()["id"] == claims["sub"]
    user = User.objects.get()
    assert (user.pk, user.email, user.name) == (claims["sub"], "grace@example.com", "Grace Hopper")
    assert not user.has_usable_password()


def test_an_hs256_token_signed_with_another_secret_answers_401(api_client, settings):
    settings.JWT_SECRET = SHARED_SECRET
    token = jwt.encode(
        better_auth_claims(), "not-the-shared-secret-at-all-no-no", algorithm="HS256"
    )

    response = api_client.get(ME, **bearer(token))

    assert_unauthorized(response)
    assert response.json()["detail"] == "The token's signature is invalid."
    assert not User.objects.exists()


# --- The path's user ----------------------------------------------------------------------


def test_another_users_path_answers_403(auth_client, other_user):
    response = auth_client.get(f"/api/{other_user.pk}/tasks")

    assert response.status_code == 403
    assert response["Content-Type"] == PROBLEM_JSON
    assert response.json()["detail"] == "The path's user id is not the authenticated user."


def test_a_better_auth_user_on_another_users_path_answers_403(
    api_client, jwks_server, signing_key, other_user
):
    response = api_client.get(
        f"/api/{other_user.pk}/tasks", **bearer(sign(better_auth_claims(), signing_key))
    )

    assert response.status_code == 403
    assert response["Content-Type"] == PROBLEM_JSON
    assert isinstance(response.json()["detail"], str)


# --- Just-in-time users: edge cases ---------------------------------------------------


def test_an_external_user_whose_email_is_taken_is_created_without_an_email(
    api_client, jwks_server, signing_key, user
):
    claims = better_auth_claims(email=user.email.upper())

    response = api_client.get(ME, **bearer(sign(claims, signing_key)))

    assert response.status_code == 200
    assert response.json()["email"] is None
    assert User.objects.get(pk=claims["sub"]).email is None
    assert User.objects.get(pk=user.pk).email == user.email


@pytest.mark.parametrize(
    "subject",
    ["has space", "a/b", "dots.in.it", "x" * 65, "trailing-newline\n", "ünïcode", ""],
)
def test_an_external_token_whose_subject_is_not_a_url_safe_id_answers_401(
    api_client, jwks_server, signing_key, subject
):
    token = sign(better_auth_claims(user_id=subject), signing_key)

    response = api_client.get(ME, **bearer(token))

    assert_unauthorized(response)
    assert response.json()["detail"] == "The token's subject is not a valid user id."
    assert not User.objects.exists()


def test_an_external_token_of_a_deactivated_user_answers_401(api_client, jwks_server, signing_key):
    claims = better_auth_claims()
    User.objects.create(pk=claims["sub"], email="blocked@example.com", is_active=False)

    response = api_client.get(ME, **bearer(sign(claims, signing_key)))

    assert_unauthorized(response)
    assert response.json()["detail"] == "The token's user does not exist or is inactive."
