"""Tasks: each belongs to exactly one user and is visible to that user alone."""

from django.conf import settings
from django.db import models
from django.db.models.functions import Length, Trim
from django.db.models.lookups import GreaterThan, LessThanOrEqual
from django.utils import timezone

TITLE_MAX_LENGTH = 200
DESCRIPTION_MAX_LENGTH = 1000
TAGS_MAX_COUNT = 20
TAG_MAX_LENGTH = 50


class Priority(models.IntegerChoices):
    """How urgent a task is; stored as its rank, so that the list sorts and pages by it."""

    NONE = 0, "none"
    LOW = 1, "low"
    MEDIUM = 2, "medium"
    HIGH = 3, "high"


class Task(models.Model):
    """One to-do item of one user."""

    # No index of its own: every index below starts with the owner, and serves it too.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="tasks", db_index=False
    )
    title = models.CharField(max_length=TITLE_MAX_LENGTH)
    description = models.TextField(max_length=DESCRIPTION_MAX_LENGTH, blank=True, default="")
    completed = models.BooleanField(default=False)
    priority = models.PositiveSmallIntegerField(choices=Priority, default=Priority.NONE)
    # Lower-cased, distinct, in the order given: one JSON array, so a write is one statement.
    tags = models.JSONField(default=list, blank=True)
    due_at = models.DateTimeField(null=True, blank=True)
    # Kept by tasks_set_completed and TaskSerializer, in the statement that changes `completed`.
    completed_at = models.DateTimeField(null=True, blank=True, editable=False)
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
            models.Index(fields=["user", "priority", "id"], name="task_user_priority_idx"),
            # Ascending with PostgreSQL's default NULLS LAST: the `due` sort.
            models.Index(fields=["user", "due_at", "id"], name="task_user_due_idx"),
            # PostgreSQL alone also has, from migration 0002 (SQLite has neither GIN nor
            # NULLS LAST in an index, and rebuilds tables from these declarations):
            # - task_user_due_desc_idx (user, due_at DESC NULLS LAST, id DESC): `-due`;
            # - task_user_search_idx, GIN (user, title and description as trigrams): `q`;
            # - task_user_tags_idx, GIN (user, tags as jsonb_path_ops): `tag`.
            # Both GIN indexes are led by the owner (btree_gin), so that a search or a tag
            # filter reads only the owner's entries, never another user's rows.
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
            models.CheckConstraint(
                condition=models.Q(priority__in=Priority.values), name="task_priority_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.title
