from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.views import APIView


class IsPathUser(BasePermission):
    """The `{user_id}` in the path must be the token's subject.

    The queryset already holds only the caller's tasks; this turns a request aimed at
    another user's path into a clear 403 instead of an empty list.
    """

    message = "The path's user id is not the authenticated user."

    def has_permission(self, request: Request, view: APIView) -> bool:
        return request.user is not None and view.kwargs.get("user_id") == request.user.pk
