import pytest
from django.test import Client

DOCS = ["/api/schema/", "/api/docs/"]


@pytest.mark.parametrize("path", DOCS)
def test_the_docs_are_public_by_default(client: Client, db, path: str):
    assert client.get(path).status_code == 200


@pytest.mark.parametrize("path", DOCS)
def test_closed_docs_refuse_anonymous_callers(client: Client, settings, db, path: str):
    settings.API_DOCS_PUBLIC = False

    response = client.get(path)

    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["status"] == 401


@pytest.mark.parametrize("path", DOCS)
def test_closed_docs_refuse_a_user_who_is_not_staff(auth_client, settings, path: str):
    settings.API_DOCS_PUBLIC = False

    response = auth_client.get(path)

    assert response.status_code == 403
    assert response.json()["status"] == 403


@pytest.mark.parametrize("path", DOCS)
def test_closed_docs_open_to_staff_signed_in_to_the_admin(admin_client: Client, settings, path):
    settings.API_DOCS_PUBLIC = False

    assert admin_client.get(path).status_code == 200
