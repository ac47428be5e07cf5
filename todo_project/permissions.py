from django.conf import settings
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.views import APIView


class DocsAccess(BasePermission):
    """The OpenAPI document and Swagger UI: public, or staff-only when API_DOCS_PUBLIC is off.

    Read at request time, so one deployment can close them without a code change.
    """

    def has_permission(self, request: Request, view: APIView) -> bool:
        if settings.API_DOCS_PUBLIC:
            return True
        return bool(request.user and request.user.is_staff)
