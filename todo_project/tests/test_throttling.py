import time
from types import SimpleNamespace

import pytest

from todo_project import throttles
from users.tests.factories import UserFactory

PASSWORD = "correct-horse-battery"


@pytest.fixture(autouse=True)
def clock_half_a_second_into_a_window(monkeypatch) -> None:
    """Every request of a test falls in one window, and the wait left is known: 59.5 s."""
    now = time.time() // 60 * 60 + 0.5
    monkeypatch.setattr(throttles, "time", SimpleNamespace(time=lambda: now))


@pytest.fixture
def tight_rates(settings) -> None:
    settings.THROTTLE_RATES = {"auth": "3/min", "user": "5/min"}


@pytest.mark.usefixtures("tight_rates")
def test_a_flood_of_logins_from_one_address_is_refused_with_retry_after(api_client, db):
    user = UserFactory()
    credentials = {"email": user.email, "password": "wrong"}
    statuses = [api_client.post("/api/auth/login", credentials).status_code for _ in range(3)]
    assert statuses == [401, 401, 401]

    # Even the right password is refused once the address is over its limit.
    response = api_client.post("/api/auth/login", {"email": user.email, "password": PASSWORD})

    assert response.status_code == 429
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["status"] == 429
    assert response["Retry-After"] == "60"  # 59.5 s rounded up, never past the window


@pytest.mark.usefixtures("tight_rates")
def test_registrations_count_against_the_same_address_limit(api_client, db):
    for n in range(3):
        body = {"email": f"new{n}@example.com", "password": "a-long-enough-passphrase"}
        assert api_client.post("/api/auth/register", body).status_code == 201

    response = api_client.post(
        "/api/auth/register", {"email": "late@example.com", "password": "a-long-passphrase"}
    )

    assert response.status_code == 429
    assert "Retry-After" in response


@pytest.mark.usefixtures("tight_rates")
def test_each_user_has_an_api_budget_of_their_own(auth_client, other_client, user, other_user):
    for _ in range(5):
        assert auth_client.get(f"/api/{user.pk}/tasks").status_code == 200

    refused = auth_client.get(f"/api/{user.pk}/tasks")
    other = other_client.get(f"/api/{other_user.pk}/tasks")

    assert refused.status_code == 429
    assert refused.json()["title"] == "Too Many Requests"
    assert other.status_code == 200


def test_addresses_behind_trusted_proxies_are_counted_separately(settings, api_client, db):
    settings.THROTTLE_RATES = {"auth": "1/min", "user": "5/min"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    body = {"email": "nobody@example.com", "password": "wrong"}

    first = api_client.post("/api/auth/login", body, HTTP_X_FORWARDED_FOR="203.0.113.1")
    second = api_client.post("/api/auth/login", body, HTTP_X_FORWARDED_FOR="203.0.113.2")
    again = api_client.post("/api/auth/login", body, HTTP_X_FORWARDED_FOR="203.0.113.1")

    assert (first.status_code, second.status_code, again.status_code) == (401, 401, 429)
