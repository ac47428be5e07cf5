from django import forms
from django.contrib import admin
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import Count, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import urlencode

from tasks.models import Task
from users.models import User, normalize_email
from users.services import user_forget_cached


class NormalizedEmailField(forms.EmailField):
    """An email as the service stores and compares it, so one address stays one account."""

    def to_python(self, value: object) -> str | None:
        email = super().to_python(value)
        return normalize_email(email) if email else email


class UserCreationForm(auth_forms.BaseUserCreationForm):
    """Adds a user who signs in with an email and a password, always a usable one."""

    class Meta:
        model = User
        fields = ["email", "name"]
        field_classes = {"email": NormalizedEmailField}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Optional on the model for users of an external identity provider; someone added
        # here signs in with it.
        self.fields["email"].required = True


class UserChangeForm(auth_forms.UserChangeForm):
    """Edits a user, keeping the email in the form the service compares."""

    class Meta(auth_forms.UserChangeForm.Meta):
        model = User
        field_classes = {"email": NormalizedEmailField}


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Staff manage accounts by email; the id is the token subject and never changes."""

    form = UserChangeForm
    add_form = UserCreationForm
    ordering = ["-date_joined"]
    list_display = ["email", "name", "id", "is_staff", "is_active", "date_joined", "tasks_link"]
    list_filter = ["is_staff", "is_active", "date_joined"]
    search_fields = ["email", "name", "id"]
    readonly_fields = ["id", "date_joined", "last_login"]
    fieldsets = [
        (None, {"fields": ["id", "email", "name", "password"]}),
        (
            "Permissions",
            {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]},
        ),
        ("Dates", {"fields": ["date_joined", "last_login"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["email", "name", "password1", "password2"]}),
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        # A correlated subquery rather than Count("tasks") with a GROUP BY: PostgreSQL then
        # counts the tasks of the page's users alone, from the index led by the owner,
        # instead of aggregating every task before it can sort and cut the page.
        tasks_per_user = (
            Task.objects.filter(user=OuterRef("pk"))
            .order_by()
            .values("user")
            .annotate(count=Count("pk"))
            .values("count")
        )
        return (
            super()
            .get_queryset(request)
            .annotate(task_count=Coalesce(Subquery(tasks_per_user), Value(0)))
        )

    # A deactivation or a deletion must reach the API now, not when the cached "active"
    # mark expires (users.services.user_get_for_request).
    def save_model(self, request: HttpRequest, user: User, form: forms.Form, change: bool) -> None:
        super().save_model(request, user, form, change)
        user_forget_cached(user_id=user.pk)

    def delete_model(self, request: HttpRequest, user: User) -> None:
        user_id = user.pk
        super().delete_model(request, user)
        user_forget_cached(user_id=user_id)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        user_ids = list(queryset.values_list("pk", flat=True))
        super().delete_queryset(request, queryset)
        for user_id in user_ids:
            user_forget_cached(user_id=user_id)

    @admin.display(description="tasks", ordering="task_count")
    def tasks_link(self, user: User) -> str:
        """The user's task count, linking to the task list filtered to that user."""
        url = reverse("admin:tasks_task_changelist")
        query = urlencode({"user__id__exact": user.pk})
        return format_html('<a href="{}?{}">{}</a>', url, query, user.task_count)
