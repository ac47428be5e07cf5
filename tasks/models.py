"""Tasks: each belongs to exactly one user and is visible to that user alone."""

from django.conf import settings
from django.db import models
from django.db.models.functions import Length, Trim
from django.db.models.lookups import GreaterThan, LessThanOrEqual
from django.utils import timezone

TITLE_MAX_LENGTH = 200
DESCRIPTION_MAX_LENGTH = 1000


class Task(models.Model):
    """One to-do item of one user."""

    # No index of its own: every index below starts with the owner, and serves it too.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="tasks", db_index=False
    )
    title = models.CharField(max_length=TITLE_MAX_LENGTH)
    description = models.TextField(max_length=DESCRIPTION_MAX_LENGTH, blank=True, default="")
    completed = models.BooleanField(default=False)
    # A default rather than auto_now_add, so that bulk inserts (seeding) may set it.
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        # One index per sort of the list, each led by the owner: a page is a short range
        # scan within one user's rows, whichever the sort and however deep the cursor.
        indexes = [
            models.Index(fields=["user", "created_at", "id"], name="task_user_created_idx"),
            models.Index(fields=["user", "updated_at", "id"], name="task_user_updated_idx"),
            models.Index(fields=["user", "title", "id"], name="task_user_title_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=GreaterThan(Length(Trim("title")), 0), name="task_title_not_blank"
            ),
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("title"), TITLE_MAX_LENGTH),
                name="task_title_max_length",
            ),
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("description"), DESCRIPTION_MAX_LENGTH),
                name="task_description_max_length",
            ),
        ]

    def __str__(self) -> str:
        return self.title
