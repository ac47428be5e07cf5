"""The task endpoints under /api/{user_id}/tasks."""

from django.db import DEFAULT_DB_ALIAS, connection
from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.serializers import BaseSerializer
from rest_framework.utils.urls import replace_query_param
from rest_framework.views import APIView

from tasks.filters import tasks_where
from tasks.models import Task
from tasks.permissions import IsPathUser
from tasks.rows import TaskRow, task_row_get
from tasks.serializers import (
    CompletionSerializer,
    TagCountSerializer,
    TaskListQuerySerializer,
    TaskSerializer,
)
from tasks.services import task_set_completed, task_tags_count
from tasks.sorting import paginate, paginate_json
from todo_project.renderers import RenderedJSON

USER_ID_PARAMETER = OpenApiParameter(
    "user_id",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description="The authenticated user's id: the token's `sub`.",
    pattern=r"^[A-Za-z0-9_-]{1,64}$",
)
NEXT_PAGE_LINK = OpenApiParameter(
    "Link",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    response=[200],
    description='Present when more tasks follow: `<absolute URL of the next page>; rel="next"`.',
)
TASK_LOCATION = OpenApiParameter(
    "Location",
    OpenApiTypes.URI,
    OpenApiParameter.HEADER,
    response=[201],
    description="The absolute URL of the created task.",
)


@extend_schema(parameters=[USER_ID_PARAMETER])
class TaskViewSet(viewsets.ModelViewSet):
    """The caller's own tasks: list, create, read, update, delete and complete."""

    serializer_class = TaskSerializer
    permission_classes = [IsAuthenticated, IsPathUser]
    pagination_class = None
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self) -> QuerySet[Task]:
        # The only way into tasks: another user's task does not exist for the caller (404).
        return Task.objects.filter(user_id=self.request.user.pk)

    def get_object(self) -> Task:
        # The read (and the PUT's read) in the API's own SQL: a query of the owner's tasks.
        row = task_row_get(user_id=self.request.user.pk, task_id=int(self.kwargs["pk"]))
        if row is None:
            raise exceptions.NotFound()
        task = Task.from_db(DEFAULT_DB_ALIAS, TaskRow._fields, row)
        self.check_object_permissions(self.request, task)
        return task

    def perform_create(self, serializer: BaseSerializer) -> None:
        serializer.save(user_id=self.request.user.pk)

    @extend_schema(parameters=[TaskListQuerySerializer, NEXT_PAGE_LINK])
    def list(self, request: Request, *args, **kwargs) -> Response:
        query = TaskListQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        # The owner's tasks, as get_queryset scopes them, in the list's own SQL.
        tasks = tasks_where(
            user_id=request.user.pk, params=params, now=timezone.now(), connection=connection
        )
        position = {"limit": params["limit"], "cursor": params.get("cursor")}
        if connection.vendor == "postgresql":
            # PostgreSQL writes the tasks out: the page's Python does not grow with its length.
            page = paginate_json(tasks, sort_name=params["sort"], **position)
            body = RenderedJSON(page.json)
        else:
            page = paginate(tasks, sort_name=params["sort"], **position)
            body = TaskSerializer(page.tasks, many=True).data
        headers = {}
        if page.next_cursor is not None:
            next_url = replace_query_param(request.build_absolute_uri(), "cursor", page.next_cursor)
            headers["Link"] = f'<{next_url}>; rel="next"'
        return Response(body, headers=headers)

    @extend_schema(parameters=[TASK_LOCATION])
    def create(self, request: Request, *args, **kwargs) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        self.perform_create(serializer)
        location = reverse(
            "task-detail",
            kwargs={"user_id": request.user.pk, "pk": serializer.instance.pk},
            request=request,
        )
        return Response(
            serializer.data, status=status.HTTP_201_CREATED, headers={"Location": location}
        )

    def destroy(self, request: Request, *args, **kwargs) -> Response:
        # One DELETE scoped to the owner, rather than a read and then a delete.
        deleted, _ = self.get_queryset().filter(pk=kwargs["pk"]).delete()
        if not deleted:
            raise exceptions.NotFound()
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=CompletionSerializer, responses={200: TaskSerializer})
    @action(detail=True, methods=["patch"])
    def complete(self, request: Request, *args, **kwargs) -> Response:
        """Sets `completed` from the body, or flips it when the body has none."""
        body = CompletionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        task = task_set_completed(
            user_id=request.user.pk,
            task_id=int(kwargs["pk"]),
            completed=body.validated_data.get("completed"),
        )
        if task is None:
            raise exceptions.NotFound()
        return Response(TaskSerializer(task).data)


@extend_schema(parameters=[USER_ID_PARAMETER], responses={200: TagCountSerializer(many=True)})
class TagListView(APIView):
    """The caller's tags, each with how many of their tasks carry it: most used first."""

    permission_classes = [IsAuthenticated, IsPathUser]

    def get(self, request: Request, *args, **kwargs) -> Response:
        tag_counts = task_tags_count(user_id=request.user.pk)
        return Response(TagCountSerializer(tag_counts, many=True).data)
