"""The OpenAPI document's shared parts: the bearer scheme and every operation's problem responses.

Errors are documented here once, from what an operation takes and who may call it, rather
than on each view: a new endpoint gets the same error responses as the others for free.
"""

from http import HTTPStatus
from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ComponentRegistry, build_bearer_security_scheme_object
from rest_framework import permissions, serializers
from rest_framework.generics import GenericAPIView

from todo_project.problems import PROBLEM_CONTENT_TYPE
from users.authentication import AUTH_SCHEME, BearerTokenAuthentication

# At least one character that Python's str.strip() keeps: besides what \s matches in
# JavaScript, it strips the separators \x1c-\x1f and NEL (\x85).
NOT_BLANK_PATTERN = r"[^\s\x1c-\x1f\x85]"
# Permissions that a valid token always satisfies: any other one can refuse with 403.
TOKEN_ONLY_PERMISSIONS = (permissions.AllowAny, permissions.IsAuthenticated)

RETRY_AFTER_HEADER = {
    "Retry-After": {
        "schema": {"type": "integer", "minimum": 0},
        "description": "Seconds to wait before trying again.",
    }
}
WWW_AUTHENTICATE_HEADER = {
    "WWW-Authenticate": {
        "schema": {"type": "string", "enum": [AUTH_SCHEME]},
        "description": "The scheme to authenticate with.",
    }
}


class BearerTokenScheme(OpenApiAuthenticationExtension):
    """Documents BearerTokenAuthentication as HTTP bearer with a JWT."""

    target_class = BearerTokenAuthentication
    name = "bearerAuth"

    def get_security_definition(self, auto_schema: AutoSchema) -> dict[str, Any]:
        return build_bearer_security_scheme_object(
            header_name="Authorization", token_prefix=AUTH_SCHEME, bearer_format="JWT"
        )


class ProblemSerializer(serializers.Serializer):
    """An error as RFC 9457 problem details, the body of every error under /api/."""

    type = serializers.CharField(help_text='Always "about:blank": the status says it all.')
    title = serializers.CharField(help_text="The status's standard phrase.")
    status = serializers.IntegerField(help_text="The HTTP status code.")
    detail = serializers.CharField(help_text="What went wrong, for a person to read.")
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="On validation failures: each field's messages.",
    )


class ProblemAutoSchema(AutoSchema):
    """drf-spectacular's AutoSchema, plus the problem responses an operation can answer."""

    def get_operation(
        self,
        path: str,
        path_regex: str,
        path_prefix: str,
        method: str,
        registry: ComponentRegistry,
    ) -> dict[str, Any] | None:
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        for parameter in operation.get("parameters", []):
            if parameter["in"] == "query" and not parameter.get("required"):
                # DRF reads `?name=` as an optional field left out: its default applies.
                parameter["allowEmptyValue"] = True
        for status in self.error_statuses(operation):
            operation["responses"].setdefault(str(status.value), self.problem_response(status))
        return operation

    def _map_serializer_field(
        self, field: serializers.Field, direction: str, bypass_extensions: bool = False
    ) -> dict[str, Any]:
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if (
            direction == "request"
            and isinstance(field, serializers.CharField)
            and field.trim_whitespace
            and not field.allow_blank
            and "format" not in schema
        ):
            # DRF trims before it checks for blank, so whitespace alone is refused as blank.
            schema.setdefault("pattern", NOT_BLANK_PATTERN)
        return schema

    def error_statuses(self, operation: dict[str, Any]) -> list[HTTPStatus]:
        """The error statuses this operation can answer, judged from its documented shape."""
        has_body = "requestBody" in operation
        has_query = any(parameter["in"] == "query" for parameter in operation.get("parameters", []))
        statuses = []
        if has_body or has_query:
            statuses.append(HTTPStatus.BAD_REQUEST)
        # DRF answers 401 only where the view sends a challenge; without one it answers 403.
        if self.view.get_authenticate_header(self.view.request):
            statuses.append(HTTPStatus.UNAUTHORIZED)
        if any(
            not isinstance(permission, TOKEN_ONLY_PERMISSIONS)
            for permission in self.view.get_permissions()
        ):
            statuses.append(HTTPStatus.FORBIDDEN)
        if self.is_detail_route():
            statuses.append(HTTPStatus.NOT_FOUND)
        # Content negotiation: an Accept header that JSON does not satisfy.
        statuses.append(HTTPStatus.NOT_ACCEPTABLE)
        if has_body:
            statuses += [HTTPStatus.REQUEST_ENTITY_TOO_LARGE, HTTPStatus.UNSUPPORTED_MEDIA_TYPE]
        statuses += [HTTPStatus.TOO_MANY_REQUESTS, HTTPStatus.SERVICE_UNAVAILABLE]
        return statuses

    def is_detail_route(self) -> bool:
        """Whether the path names one object, which may not exist (or not be the caller's)."""
        if not isinstance(self.view, GenericAPIView):
            return False
        lookup = self.view.lookup_url_kwarg or self.view.lookup_field
        return f"(?P<{lookup}>" in self.path_regex

    def problem_response(self, status: HTTPStatus) -> dict[str, Any]:
        response = self._get_response_for_code(
            ProblemSerializer, str(status.value), media_types=[PROBLEM_CONTENT_TYPE]
        )
        response["description"] = status.phrase
        if status == HTTPStatus.UNAUTHORIZED:
            response["headers"] = WWW_AUTHENTICATE_HEADER
        elif status in (HTTPStatus.TOO_MANY_REQUESTS, HTTPStatus.SERVICE_UNAVAILABLE):
            response["headers"] = RETRY_AFTER_HEADER
        return response
