from django.contrib import admin
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import F, Q, QuerySet
from django.forms import ModelForm
from django.http import HttpRequest
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import ngettext

from tasks.filters import ContainsAllTags
from tasks.models import Task
from tasks.services import tasks_set_completed
from users.models import User


class EstimatedCountPaginator(Paginator):
    """Numbers the pages of a large unfiltered table from PostgreSQL's planner estimate.

    COUNT(*) reads the whole table on every page view; pg_class.reltuples, which VACUUM and
    ANALYZE keep current, costs one catalog lookup and is close enough to number the pages.
    A filtered list, a small table and any other database get an exact COUNT(*).
    """

    # Below this many rows COUNT(*) is cheap, and an exact count reads better.
    estimate_above = 10_000

    @cached_property
    def count(self) -> int:
        queryset: QuerySet = self.object_list
        connection = connections[queryset.db]
        if connection.vendor != "postgresql" or queryset.query.has_filters():
            return super().count
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass",
                [connection.ops.quote_name(queryset.model._meta.db_table)],
            )
            (estimate,) = cursor.fetchone()
        # reltuples is -1 until the table is first vacuumed or analyzed.
        return estimate if estimate > self.estimate_above else super().count


@admin.register(Task)
class TaskAdmin(admin.ModelAdmin):
    """Every user's tasks, for staff: search by title, tag or owner, bulk completion."""

    list_display = [
        "title",
        "user",
        "completed",
        "priority",
        "tags",
        "due_at",
        "completed_at",
        "created_at",
        "updated_at",
    ]
    list_filter = ["completed", "priority", "due_at", "completed_at", "created_at", "updated_at"]
    # Tags and the owner's email and id are searched in get_search_results.
    search_fields = ["title"]
    search_help_text = "Words of the title, a tag, or an owner's email or id (or part of it)."
    list_select_related = ["user"]
    autocomplete_fields = ["user"]
    # Tags are shown, not edited: the API's rules (lower-cased, distinct, at most 20 of at most
    # 50 characters) are its serializer's.
    readonly_fields = ["tags", "completed_at", "created_at", "updated_at"]
    actions = ["mark_completed", "mark_pending"]
    paginator = EstimatedCountPaginator
    # The "N total" beside a filtered count would be a COUNT(*) of the whole table.
    show_full_result_count = False

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Task], search_term: str
    ) -> tuple[QuerySet[Task], bool]:
        """Tasks whose title has every word searched for, that carry the term as a tag, or whose
        owner matches the term.

        Owners are found among the users first and their tasks then picked by owner: the
        `user__email` search field would join every task to its owner to test it, which at
        100k tasks is twice the cost of a search.
        """
        by_title, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        term = search_term.strip()
        if not term:
            return by_title, may_have_duplicates
        owners = User.objects.filter(Q(email__icontains=term) | Q(id__icontains=term))
        by_tag = queryset.filter(ContainsAllTags(F("tags"), [term.lower()]))
        return by_title | by_tag | queryset.filter(user__in=owners), may_have_duplicates

    def save_model(self, request: HttpRequest, obj: Task, form: ModelForm, change: bool) -> None:
        # completed_at follows `completed` here as it does through the API.
        if "completed" in form.changed_data:
            obj.completed_at = timezone.now() if obj.completed else None
        super().save_model(request, obj, form, change)

    @admin.action(description="Mark selected tasks completed", permissions=["change"])
    def mark_completed(self, request: HttpRequest, queryset: QuerySet[Task]) -> None:
        self._set_completed(request, queryset, completed=True)

    @admin.action(description="Mark selected tasks pending", permissions=["change"])
    def mark_pending(self, request: HttpRequest, queryset: QuerySet[Task]) -> None:
        self._set_completed(request, queryset, completed=False)

    def _set_completed(
        self, request: HttpRequest, queryset: QuerySet[Task], *, completed: bool
    ) -> None:
        changed = tasks_set_completed(tasks=queryset, completed=completed)
        state = "completed" if completed else "pending"
        message = ngettext(
            "%(count)d task marked %(state)s.", "%(count)d tasks marked %(state)s.", changed
        )
        self.message_user(request, message % {"count": changed, "state": state})
