"""The OpenAPI document clients are generated from, and the Swagger UI that shows it."""

import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from openapi_schema_validator import OAS30Validator
from openapi_spec_validator import validate
from rest_framework.test import APIClient

from tasks.tests.factories import TaskFactory
from todo_project.problems import PROBLEM_CONTENT_TYPE
from todo_project.schema import NOT_BLANK_PATTERN

OPENAPI_JSON = "application/vnd.oai.openapi+json"
PROBLEM_CONTENT = {PROBLEM_CONTENT_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}
TASK_REF = {"$ref": "#/components/schemas/Task"}

REGISTER = ("/api/auth/register", "post")
LOGIN = ("/api/auth/login", "post")
REFRESH = ("/api/auth/refresh", "post")
ME = ("/api/auth/me", "get")
LIST_TASKS = ("/api/{user_id}/tasks", "get")
CREATE_TASK = ("/api/{user_id}/tasks", "post")
READ_TASK = ("/api/{user_id}/tasks/{id}", "get")
UPDATE_TASK = ("/api/{user_id}/tasks/{id}", "put")
PATCH_TASK = ("/api/{user_id}/tasks/{id}", "patch")
DELETE_TASK = ("/api/{user_id}/tasks/{id}", "delete")
COMPLETE_TASK = ("/api/{user_id}/tasks/{id}/complete", "patch")
TOKEN_ENDPOINTS = [REGISTER, LOGIN, REFRESH]
TASK_OPERATIONS = [
    LIST_TASKS,
    CREATE_TASK,
    READ_TASK,
    UPDATE_TASK,
    PATCH_TASK,
    DELETE_TASK,
    COMPLETE_TASK,
]


@pytest.fixture
def schema(api_client: APIClient) -> dict[str, Any]:
    """The document as GET /api/schema/ serves it, in JSON."""
    response = api_client.get("/api/schema/", HTTP_ACCEPT=OPENAPI_JSON)
    assert response.status_code == 200
    return response.json()


def operations(schema: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    """Every operation of the document, keyed by (path, method)."""
    return {
        (path, method): operation
        for path, path_item in schema["paths"].items()
        for method, operation in path_item.items()
    }


def test_the_schema_is_a_valid_openapi_3_document_of_the_contracts_endpoints(api_client):
    response = api_client.get("/api/schema/", HTTP_ACCEPT=OPENAPI_JSON)

    assert response.status_code == 200
    assert response["Content-Type"].startswith(OPENAPI_JSON)
    document = response.json()
    validate(document)  # Raises on any violation of the OpenAPI 3.0 specification.
    assert document["openapi"].startswith("3.")
    assert set(operations(document)) >= {*TOKEN_ENDPOINTS, ME, *TASK_OPERATIONS}


def test_generating_the_schema_raises_no_warning(tmp_path: Path):
    output = tmp_path / "schema.yaml"

    # Raises SchemaGenerationError on the first warning, such as an undocumented view.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(output))

    assert output.read_text().startswith("openapi: 3.0")


def test_the_bearer_scheme_is_http_bearer_with_a_jwt(schema):
    assert schema["components"]["securitySchemes"] == {
        "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    }


def test_every_operation_but_the_token_endpoints_requires_the_bearer_token(schema):
    security = {key: operation["security"] for key, operation in operations(schema).items()}

    assert security == {
        key: [{}] if key in TOKEN_ENDPOINTS else [{"bearerAuth": []}] for key in security
    }
    assert security[ME] == [{"bearerAuth": []}]


def test_each_operation_documents_the_errors_it_can_answer(schema):
    all_operations = operations(schema)
    errors = {
        key: sorted(int(code) for code in all_operations[key]["responses"] if int(code) >= 400)
        for key in [*TOKEN_ENDPOINTS, ME, *TASK_OPERATIONS]
    }

    assert errors == {
        REGISTER: [400, 401, 406, 413, 415, 429, 503],
        LOGIN: [400, 401, 406, 413, 415, 429, 503],
        REFRESH: [400, 401, 406, 413, 415, 429, 503],
        ME: [401, 406, 429, 503],
        LIST_TASKS: [400, 401, 403, 406, 429, 503],
        CREATE_TASK: [400, 401, 403, 406, 413, 415, 429, 503],
        READ_TASK: [401, 403, 404, 406, 429, 503],
        UPDATE_TASK: [400, 401, 403, 404, 406, 413, 415, 429, 503],
        PATCH_TASK: [400, 401, 403, 404, 406, 413, 415, 429, 503],
        DELETE_TASK: [401, 403, 404, 406, 429, 503],
        COMPLETE_TASK: [400, 401, 403, 404, 406, 413, 415, 429, 503],
    }


def test_every_error_response_is_a_problem_document(schema):
    error_responses = [
        (key, code, response)
        for key, operation in operations(schema).items()
        for code, response in operation["responses"].items()
        if int(code) >= 400
    ]

    assert error_responses  # Not vacuously true.
    assert [
        (key, code)
        for key, code, response in error_responses
        if response["content"] != PROBLEM_CONTENT
    ] == []


def test_the_problem_schema_has_the_rfc_9457_members_and_field_errors(schema):
    problem = schema["components"]["schemas"]["Problem"]

    assert problem["required"] == ["detail", "status", "title", "type"]
    assert {name: member["type"] for name, member in problem["properties"].items()} == {
        "type": "string",
        "title": "string",
        "status": "integer",
        "detail": "string",
        "errors": "object",
    }
    assert problem["properties"]["errors"]["additionalProperties"] == {
        "type": "array",
        "items": {"type": "string"},
    }


def test_the_problem_schema_matches_what_the_api_answers(schema, auth_client, user):
    problem_schema = OAS30Validator(schema["components"]["schemas"]["Problem"])
    TaskFactory(user=user)

    invalid = auth_client.post(f"/api/{user.pk}/tasks", {"title": "  "}, format="json")
    missing = auth_client.get(f"/api/{user.pk}/tasks/0")

    assert invalid.status_code == 400
    assert invalid.json()["errors"] == {"title": ["This field may not be blank."]}
    assert missing.status_code == 404
    assert list(problem_schema.iter_errors(invalid.json())) == []
    assert list(problem_schema.iter_errors(missing.json())) == []


def test_challenges_and_back_off_hints_are_documented_as_headers(schema):
    responses = operations(schema)[LIST_TASKS]["responses"]

    assert responses["401"]["headers"]["WWW-Authenticate"]["schema"] == {
        "type": "string",
        "enum": ["Bearer"],
    }
    assert responses["429"]["headers"]["Retry-After"]["schema"] == {"type": "integer", "minimum": 0}
    assert responses["503"]["headers"]["Retry-After"]["schema"] == {"type": "integer", "minimum": 0}


def test_the_list_documents_its_query_parameters_with_enums_and_bounds(schema):
    parameters = {
        parameter["name"]: parameter
        for parameter in operations(schema)[LIST_TASKS]["parameters"]
        if parameter["in"] == "query"
    }

    assert set(parameters) == {
        *["status", "sort", "limit", "cursor"],
        *["q", "priority", "tag", "due_before", "due_after", "overdue"],
    }
    assert parameters["status"]["schema"]["enum"] == ["all", "pending", "completed"]
    assert parameters["status"]["schema"]["default"] == "all"
    assert parameters["sort"]["schema"]["enum"] == [
        *["created", "-created", "updated", "-updated", "title", "-title"],
        *["due", "-due", "priority", "-priority"],
    ]
    assert parameters["priority"]["schema"]["items"]["enum"] == ["none", "low", "medium", "high"]
    assert parameters["tag"]["schema"]["maxItems"] == 20
    assert parameters["tag"]["schema"]["items"]["maxLength"] == 50
    assert parameters["q"]["schema"]["maxLength"] == 200
    for bound in ["due_before", "due_after"]:
        assert parameters[bound]["schema"] == {"type": "string", "format": "date-time"}
    assert parameters["overdue"]["schema"]["type"] == "boolean"
    assert parameters["sort"]["schema"]["default"] == "-created"
    assert parameters["limit"]["schema"] == {
        "type": "integer",
        "minimum": 1,
        "maximum": 500,
        "default": 100,
    }
    assert parameters["cursor"]["schema"]["type"] == "string"
    # DRF reads `?sort=` as a parameter left out, so clients may send it empty.
    allow_empty = {name: parameter.get("allowEmptyValue") for name, parameter in parameters.items()}
    required = {name: parameter.get("required") for name, parameter in parameters.items()}
    assert allow_empty == dict.fromkeys(parameters, True)
    assert required == dict.fromkeys(parameters)  # Every one of them optional.


def test_path_parameters_carry_the_patterns_the_urls_accept(schema):
    path_parameters = {
        (key, parameter["name"]): (parameter["schema"], parameter["required"])
        for key, operation in operations(schema).items()
        for parameter in operation.get("parameters", [])
        if parameter["in"] == "path"
    }
    user_id = ({"type": "string", "pattern": "^[A-Za-z0-9_-]{1,64}$"}, True)
    task_id = ({"type": "string", "pattern": "^[0-9]+$"}, True)

    all_operations = operations(schema)

    assert path_parameters == {
        **{(key, "user_id"): user_id for key in all_operations if "{user_id}" in key[0]},
        **{(key, "id"): task_id for key in all_operations if "{id}" in key[0]},
    }
    assert path_parameters[(DELETE_TASK, "id")] == task_id


def test_strings_the_api_trims_must_hold_more_than_whitespace(schema):
    components = schema["components"]["schemas"]

    assert components["TaskRequest"]["properties"]["title"]["pattern"] == NOT_BLANK_PATTERN
    assert components["PatchedTaskRequest"]["properties"]["title"]["pattern"] == NOT_BLANK_PATTERN
    assert components["RefreshRequest"]["properties"]["refresh"]["pattern"] == NOT_BLANK_PATTERN
    # Kept as written, so blank or padded values are the client's to choose.
    assert "pattern" not in components["TaskRequest"]["properties"]["description"]
    assert "pattern" not in components["RegisterRequest"]["properties"]["password"]


@pytest.mark.parametrize(
    ("value", "is_blank"),
    [(" \t\n\x1c\x1f\x85\u2028\u3000", True), (" a ", False), ("\x00", False)],
)
def test_the_not_blank_pattern_agrees_with_what_the_api_trims(value: str, is_blank: bool):
    assert (value.strip() == "") is is_blank
    assert (re.search(NOT_BLANK_PATTERN, value) is None) is is_blank


def test_success_responses_document_their_bodies_and_headers(schema):
    all_operations = operations(schema)
    listed = all_operations[LIST_TASKS]["responses"]["200"]
    created = all_operations[CREATE_TASK]["responses"]["201"]
    deleted = all_operations[DELETE_TASK]["responses"]["204"]

    assert listed["content"]["application/json"]["schema"] == {"type": "array", "items": TASK_REF}
    assert set(listed["headers"]) == {"Link"}
    assert created["content"]["application/json"]["schema"] == TASK_REF
    assert created["headers"]["Location"]["schema"] == {"type": "string", "format": "uri"}
    assert "content" not in deleted
    assert all_operations[COMPLETE_TASK]["responses"]["200"]["content"]["application/json"] == {
        "schema": TASK_REF
    }


class AssetCollector(HTMLParser):
    """The URLs a page loads: scripts, stylesheets and icons."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    url_attributes = {"script": "src", "link": "href"}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.url_attributes and (url := dict(attrs).get(self.url_attributes[tag])):
            self.urls.append(url)


def docs_asset_urls(html: str) -> list[str]:
    collector = AssetCollector()
    collector.feed(html)
    return collector.urls


def test_the_docs_page_loads_swagger_ui_from_the_service_itself(api_client):
    response = api_client.get("/api/docs/")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert re.findall(r"(?:https?:)?//[\w.-]+", html) == []
    assert docs_asset_urls(html) == [
        "/static/drf_spectacular_sidecar/swagger-ui-dist/favicon-32x32.png",
        "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui.css",
        "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js",
        "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-standalone-preset.js",
    ]
    assert 'url: "/api/schema/"' in html


def test_the_docs_assets_are_served_by_the_service(settings):
    # WhiteNoise, as in production, but reading the apps' static folders: no collectstatic.
    settings.WHITENOISE_USE_FINDERS = True
    client = APIClient()
    html = client.get("/api/docs/").content.decode()

    served = {url: client.get(url) for url in docs_asset_urls(html)}

    assert [url for url, response in served.items() if response.status_code != 200] == []
    assert {
        url.rsplit(".", 1)[1]: response["Content-Type"] for url, response in served.items()
    } == {
        "png": "image/png",
        "css": 'text/css; charset="utf-8"',
        "js": 'text/javascript; charset="utf-8"',
    }
    assert all(b"".join(response.streaming_content) for response in served.values())


def test_the_task_and_the_tags_endpoint_document_the_organize_fields(schema):
    task = schema["components"]["schemas"]["Task"]["properties"]
    priority = schema["components"]["schemas"]["PriorityEnum"]
    tags_list = operations(schema)[("/api/{user_id}/tags", "get")]["responses"]["200"]
    tag_count = schema["components"]["schemas"]["TagCount"]["properties"]

    assert priority["enum"] == ["none", "low", "medium", "high"]
    assert task["tags"]["maxItems"] == 20
    assert task["due_at"]["format"] == "date-time"
    assert task["due_at"]["nullable"] is True
    assert task["completed_at"]["readOnly"] is True
    assert tags_list["content"]["application/json"]["schema"]["type"] == "array"
    assert set(tag_count) == {"tag", "count"}
