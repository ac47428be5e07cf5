"""Shapes of tasks and of the list's query parameters, with the contract's field rules."""

from typing import Any

from rest_framework import serializers

from tasks.models import DESCRIPTION_MAX_LENGTH, TITLE_MAX_LENGTH, Task
from tasks.sorting import DEFAULT_SORT, SORTS


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

    class Meta:
        model = Task
        fields = ["id", "user_id", "title", "description", "completed", "created_at", "updated_at"]
        read_only_fields = ["id", "user_id", "created_at", "updated_at"]

    def update(self, instance: Task, validated_data: dict[str, Any]) -> Task:
        """Writes only the fields sent, so that a change made meanwhile to another field survives.

        A full save would write back every field as read moments before (a rename would reopen
        a task completed meanwhile), and would re-insert a task deleted meanwhile where this
        save fails instead.
        """
        for field, value in validated_data.items():
            setattr(instance, field, value)
        instance.save(update_fields=[*validated_data, "updated_at"])
        return instance


class CompletionSerializer(serializers.Serializer):
    """The optional body of the completion toggle: without `completed`, the state flips."""

    completed = StrictBooleanField(required=False)


class TaskListQuerySerializer(serializers.Serializer):
    """The list's query parameters; anything else in the query string is ignored."""

    status = serializers.ChoiceField(
        choices=["all", "pending", "completed"], default="all", required=False
    )
    sort = serializers.ChoiceField(
        choices=list(SORTS),
        default=DEFAULT_SORT,
        required=False,
        help_text="`-` is descending; ties are broken by id in the same direction.",
    )
    limit = serializers.IntegerField(min_value=1, max_value=500, default=100, required=False)
    cursor = serializers.CharField(
        required=False, help_text="The opaque value from the previous page's `next` link."
    )
