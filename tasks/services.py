"""Operations on tasks that are more than a save, shared by the API, the admin and commands."""

from django.db.models import Case, QuerySet, Value, When
from django.utils import timezone

from tasks.models import Task


def tasks_set_completed(*, tasks: QuerySet[Task], completed: bool | None) -> int:
    """Marks the tasks completed or pending, or flips each one when `completed` is None.

    One UPDATE, so concurrent toggles of a task never overwrite each other: N toggles end
    in the state N implies. Returns how many tasks changed.
    """
    new_state = (
        Case(When(completed=True, then=Value(False)), default=Value(True))
        if completed is None
        else Value(completed)
    )
    return tasks.update(completed=new_state, updated_at=timezone.now())
