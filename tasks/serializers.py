"""Shapes of tasks and of the list's query parameters, with the contract's field rules."""

from datetime import UTC, datetime
from typing import Any, ClassVar

from django.utils import timezone
from rest_framework import exceptions, serializers
from rest_framework.utils.serializer_helpers import BindingDict

from tasks.models import (
    DESCRIPTION_MAX_LENGTH,
    TAG_MAX_LENGTH,
    TAGS_MAX_COUNT,
    TITLE_MAX_LENGTH,
    Priority,
    Task,
)
from tasks.services import completed_at_after
from tasks.sorting import DEFAULT_SORT, SORTS


def rfc3339(value: datetime | None) -> str | None:
    """An instant as the contract writes it: UTC, microseconds, e.g. 2026-11-27T10:00:00.123456Z."""
    if value is None:
        return None
    # isoformat, not strftime: %Y drops the leading zeros of a year before 1000.
    return value.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


class StrictCharField(serializers.CharField):
    """A string field that refuses numbers and booleans instead of quietly converting them."""

    def to_internal_value(self, data: object) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    """A boolean field that takes only JSON's true and false, not "yes", 1 or "on"."""

    def to_internal_value(self, data: object) -> bool:
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data


class PriorityField(serializers.ChoiceField):
    """A priority by name (`none`, `low`, `medium`, `high`), stored as its rank."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=Priority.labels, **kwargs)

    def to_internal_value(self, data: object) -> Priority:
        return Priority[super().to_internal_value(data).upper()]

    def to_representation(self, value: int) -> str:
        return Priority(value).label


class OffsetDateTimeField(serializers.DateTimeField):
    """An RFC 3339 date-time that carries its offset from UTC; a local time alone is refused.

    Without an offset the instant is unknown: the client's zone is not the service's.
    """

    default_error_messages = {
        "naive": "Datetime has no offset from UTC: add one, such as Z or +02:00.",
    }

    def enforce_timezone(self, value: datetime) -> datetime:
        if timezone.is_naive(value):
            self.fail("naive")
        return super().enforce_timezone(value)


class FlatListField(serializers.ListField):
    """A list whose item errors read "Item 2: ..." instead of nesting under the index.

    The contract's `errors` maps each field to a list of messages, nothing deeper.
    """

    def run_child_validation(self, data: list[object]) -> list[Any]:
        try:
            return super().run_child_validation(data)
        except serializers.ValidationError as exc:
            raise serializers.ValidationError(
                [
                    f"Item {index}: {message}"
                    for index, messages in exc.detail.items()
                    for message in messages
                ]
            ) from exc


class TagListField(FlatListField):
    """Tags: each trimmed, 1 to 50 characters, lower-cased; duplicates dropped, order kept.

    At most 20 distinct tags: the bound is checked after duplicates are dropped.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            child=StrictCharField(max_length=TAG_MAX_LENGTH),
            max_length=TAGS_MAX_COUNT,
            **kwargs,
        )

    def to_internal_value(self, data: object) -> list[str]:
        return list(dict.fromkeys(tag.lower() for tag in super().to_internal_value(data)))


class CommaSeparatedListField(FlatListField):
    """A query parameter given several times, or once with comma-separated values, or both."""

    def get_value(self, dictionary: Any) -> list[str] | type[serializers.empty]:
        values = [
            value
            for parameter in dictionary.getlist(self.field_name)
            for value in parameter.split(",")
            if value
        ]
        return values or serializers.empty


class TaskSerializer(serializers.ModelSerializer):
    """A task as clients read and write it; the owner always comes from the token."""

    user_id = serializers.CharField(read_only=True, help_text="The owner's id.")
    title = StrictCharField(
        max_length=TITLE_MAX_LENGTH, help_text="Trimmed; 1 to 200 characters after trimming."
    )
    description = StrictCharField(
        max_length=DESCRIPTION_MAX_LENGTH,
        allow_blank=True,
        trim_whitespace=False,
        required=False,
        help_text="At most 1000 characters, kept as written.",
    )
    completed = StrictBooleanField(required=False)
    priority = PriorityField(required=False, help_text="Default `none`.")
    tags = TagListField(
        required=False,
        help_text=(
            "At most 20; each trimmed, 1 to 50 characters; lower-cased, duplicates dropped, "
            "order kept."
        ),
    )
    due_at = OffsetDateTimeField(
        required=False,
        allow_null=True,
        help_text="RFC 3339 with an offset from UTC, such as Z; returned in UTC.",
    )
    completed_at = serializers.DateTimeField(
        read_only=True,
        allow_null=True,
        help_text="When the task was completed; null while it is pending.",
    )

    class Meta:
        model = Task
        fields = [
            "id",
            "user_id",
            "title",
            "description",
            "completed",
            "priority",
            "tags",
            "due_at",
            "completed_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "user_id", "completed_at", "created_at", "updated_at"]

    def to_representation(self, task: Task) -> dict[str, Any]:
        """The task as JSON, written out field by field.

        Every answer of the API goes through here. DRF's generic walk builds and copies the
        serializer's fields for each instance (ModelSerializer introspects the model to do
        so) and then visits them one by one: about half the Python time of a read, in the
        profile of docs/performance.md. A test holds this equal to that walk.
        """
        return {
            "id": task.id,
            "user_id": task.user_id,
            "title": task.title,
            "description": task.description,
            "completed": task.completed,
            "priority": Priority(task.priority).label,
            "tags": task.tags,
            "due_at": rfc3339(task.due_at),
            "completed_at": rfc3339(task.completed_at),
            "created_at": rfc3339(task.created_at),
            "updated_at": rfc3339(task.updated_at),
        }

    def create(self, validated_data: dict[str, Any]) -> Task:
        if validated_data.get("completed"):
            validated_data["completed_at"] = timezone.now()
        return super().create(validated_data)

    def update(self, instance: Task, validated_data: dict[str, Any]) -> Task:
        """Writes only the fields sent, in one UPDATE of the owner's row.

        A full save would write back every field as read moments before (a rename would reopen
        a task completed meanwhile), and would re-insert a task deleted meanwhile: here that
        task matches no row and is a 404. `completed_at` follows `completed` in the same
        UPDATE, judged from the row as it is then, not as it was read.
        """
        changes = {**validated_data, "updated_at": timezone.now()}
        completed = validated_data.get("completed")
        if completed is not None:
            changes["completed_at"] = completed_at_after(completed=completed)
        if not Task.objects.filter(pk=instance.pk, user_id=instance.user_id).update(**changes):
            raise exceptions.NotFound()
        for field, value in validated_data.items():
            setattr(instance, field, value)
        instance.updated_at = changes["updated_at"]
        if completed is False:
            instance.completed_at = None
        elif completed is True:
            # The UPDATE kept the first completion time or set a new one: read back which.
            instance.refresh_from_db(fields=["completed_at"])
        return instance


class CompletionSerializer(serializers.Serializer):
    """The optional body of the completion toggle: without `completed`, the state flips."""

    completed = StrictBooleanField(required=False)


class TagCountSerializer(serializers.Serializer):
    """One of the caller's tags and how many of their tasks carry it."""

    tag = serializers.CharField()
    count = serializers.IntegerField(min_value=1)


class TaskListQuerySerializer(serializers.Serializer):
    """The list's query parameters; anything else in the query string is ignored.

    Its fields are built once per process and shared by every request. DRF deep-copies a
    serializer's declared fields for each instance, because a field may read its parent's
    instance or context; these only convert and check strings, and the copies cost a tenth
    of a list request's Python time (docs/performance.md). A field added here must not read
    `self.parent`, `self.root` or `self.context`.
    """

    _shared_fields: ClassVar[BindingDict | None] = None

    @property
    def fields(self) -> BindingDict:
        fields = type(self)._shared_fields
        if fields is None:
            # Two first requests may both build them: either result is the same.
            fields = type(self)._shared_fields = super().fields
        return fields

    status = serializers.ChoiceField(
        choices=["all", "pending", "completed"], default="all", required=False
    )
    sort = serializers.ChoiceField(
        choices=list(SORTS),
        default=DEFAULT_SORT,
        required=False,
        help_text=(
            "`-` is descending; ties are broken by id in the same direction. `due` and `-due` "
            "put tasks without a due date last; `-priority` is high first."
        ),
    )
    limit = serializers.IntegerField(min_value=1, max_value=500, default=100, required=False)
    cursor = serializers.CharField(
        required=False, help_text="The opaque value from the previous page's `next` link."
    )
    q = serializers.CharField(
        required=False,
        max_length=200,
        help_text=(
            "Words separated by spaces; a task matches when each word is in its title or its "
            "description, whatever the case."
        ),
    )
    priority = CommaSeparatedListField(
        child=PriorityField(),
        required=False,
        help_text="One or several, repeated or comma-separated: tasks of any of them.",
    )
    tag = TagListField(
        required=False,
        help_text="Repeated for several: tasks carrying every tag given, whatever the case.",
    )
    due_after = OffsetDateTimeField(
        required=False, help_text="Tasks due at or after this RFC 3339 date-time (with offset)."
    )
    due_before = OffsetDateTimeField(
        required=False, help_text="Tasks due strictly before this RFC 3339 date-time (with offset)."
    )
    overdue = serializers.BooleanField(
        required=False,
        allow_null=True,
        default=None,
        help_text=(
            "`true`: pending tasks whose due date has passed. `false`: every other task "
            "(completed, due later, or without a due date)."
        ),
    )
