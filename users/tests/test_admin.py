"""The user admin: staff find accounts, see how many tasks each has, and add users."""

import pytest
from django.contrib.admin.utils import quote
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tasks.tests.factories import TaskFactory
from users.admin import UserAdmin
from users.models import User
from users.tests.factories import UserFactory

USER_LIST = reverse("admin:users_user_changelist")
USER_ADD = reverse("admin:users_user_add")
TASK_LIST = reverse("admin:tasks_task_changelist")


def listed_users(response) -> list[User]:
    return list(response.context["cl"].result_list)


@pytest.mark.django_db
def test_staff_sign_in_through_the_admin_login_form_with_their_email(client: Client):
    staff = UserFactory(is_staff=True)

    response = client.post(
        reverse("admin:login"),
        {"username": staff.email, "password": "correct-horse-battery", "next": USER_LIST},
    )

    assert response.status_code == 302
    assert response["Location"] == USER_LIST
    assert client.session["_auth_user_id"] == staff.pk


@pytest.mark.parametrize("page", [USER_LIST, TASK_LIST, reverse("admin:index")])
def test_a_signed_in_user_who_is_not_staff_is_sent_to_the_login_page(
    client: Client, user: User, page: str
):
    TaskFactory(user=user)
    client.force_login(user)

    response = client.get(page)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('admin:login')}?next={page}"


def test_the_user_list_shows_each_users_task_count_linking_to_their_tasks_alone(
    admin_client: Client, user: User, other_user: User
):
    own_tasks = TaskFactory.create_batch(3, user=user)
    TaskFactory(user=other_user)
    link = f"{TASK_LIST}?user__id__exact={user.pk}"

    response = admin_client.get(USER_LIST)
    linked = admin_client.get(link)

    assert response.status_code == 200
    counts = {listed.pk: listed.task_count for listed in listed_users(response)}
    assert (counts[user.pk], counts[other_user.pk]) == (3, 1)
    assert f'<a href="{link}">3</a>' in response.text
    assert f'<a href="{TASK_LIST}?user__id__exact={other_user.pk}">1</a>' in response.text
    assert linked.status_code == 200
    listed_tasks = linked.context["cl"].result_list
    assert {task.pk for task in listed_tasks} == {task.pk for task in own_tasks}
    assert "3 tasks" in linked.text


def test_staff_sort_users_by_their_task_count(
    admin_client: Client, admin_user: User, user: User, other_user: User
):
    TaskFactory.create_batch(2, user=user)
    TaskFactory(user=other_user)
    # Columns are numbered from the action checkbox, which comes first.
    tasks_column = UserAdmin.list_display.index("tasks_link") + 1

    response = admin_client.get(USER_LIST, {"o": f"-{tasks_column}"})

    assert response.status_code == 200
    assert [listed.pk for listed in listed_users(response)] == [
        user.pk,
        other_user.pk,
        admin_user.pk,
    ]


@pytest.mark.parametrize(
    "search",
    [
        pytest.param(lambda user: user.email.upper(), id="email"),
        pytest.param(lambda user: "lovelace", id="part of the name"),
        pytest.param(lambda user: user.pk, id="id"),
    ],
)
def test_staff_find_a_user_by_email_name_or_id(admin_client: Client, search):
    ada = UserFactory(name="Ada Lovelace")
    UserFactory(name="Grace Hopper")

    response = admin_client.get(USER_LIST, {"q": search(ada)})

    assert response.status_code == 200
    assert [listed.pk for listed in listed_users(response)] == [ada.pk]
    assert "Ada Lovelace" in response.text
    assert "Grace Hopper" not in response.text


def test_staff_filter_users_by_staff_status(admin_client: Client, admin_user: User, user: User):
    response = admin_client.get(USER_LIST, {"is_staff__exact": "1"})

    assert response.status_code == 200
    assert [listed.pk for listed in listed_users(response)] == [admin_user.pk]
    assert user.email not in response.text


def test_the_user_list_costs_the_same_queries_for_5_users_as_for_50(admin_client: Client):
    def queries_for_a_page_of(count: int) -> int:
        for owner in UserFactory.create_batch(count - User.objects.count()):
            TaskFactory(user=owner)
        with CaptureQueriesContext(connection) as queries:
            response = admin_client.get(USER_LIST)
        assert len(listed_users(response)) == count
        return len(queries)

    assert queries_for_a_page_of(5) == queries_for_a_page_of(50)


def test_staff_add_a_user_who_can_sign_in_with_the_password_given(admin_client: Client):
    response = admin_client.post(
        USER_ADD,
        {
            "email": "  New.Person@Example.COM ",
            "name": "New Person",
            "password1": "a-long-enough-passphrase",
            "password2": "a-long-enough-passphrase",
        },
    )

    assert response.status_code == 302
    added = User.objects.get(email="new.person@example.com")
    assert response["Location"] == reverse("admin:users_user_change", args=[quote(added.pk)])
    assert added.name == "New Person"
    assert added.has_usable_password()
    assert added.check_password("a-long-enough-passphrase")
    assert not added.is_staff


def test_adding_a_user_with_an_email_taken_in_another_case_is_refused(
    admin_client: Client, user: User
):
    response = admin_client.post(
        USER_ADD,
        {
            "email": user.email.upper(),
            "password1": "a-long-enough-passphrase",
            "password2": "a-long-enough-passphrase",
        },
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "email": ["User with this Email already exists."]
    }
    assert User.objects.filter(email=user.email).count() == 1


def test_adding_a_user_without_an_email_is_refused(admin_client: Client):
    response = admin_client.post(
        USER_ADD,
        {
            "name": "Nobody",
            "password1": "a-long-enough-passphrase",
            "password2": "a-long-enough-passphrase",
        },
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {"email": ["This field is required."]}
    assert not User.objects.filter(name="Nobody").exists()


def test_staff_edit_a_user_whose_id_needs_quoting_in_urls(admin_client: Client):
    person = UserFactory(id="an_external-subject_1", email="person@example.com")
    change_url = reverse("admin:users_user_change", args=[quote(person.pk)])

    page = admin_client.get(change_url)
    response = admin_client.post(
        change_url,
        {"email": "Renamed@Example.com", "name": "Renamed", "is_active": "on"},
    )

    assert page.status_code == 200
    assert "an_external-subject_1" in page.text
    assert response.status_code == 302
    person.refresh_from_db()
    assert (person.email, person.name) == ("renamed@example.com", "Renamed")
    assert person.check_password("correct-horse-battery")


def test_deactivating_a_user_in_the_admin_locks_their_token_out_at_once(
    admin_client: Client, auth_client, user: User
):
    assert auth_client.get(f"/api/{user.pk}/tasks").status_code == 200  # Now cached as active.
    change_url = reverse("admin:users_user_change", args=[quote(user.pk)])

    # An unticked "active" box is simply absent from the form's data.
    response = admin_client.post(change_url, {"email": user.email, "name": user.name})

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.is_active is False
    assert auth_client.get(f"/api/{user.pk}/tasks").status_code == 401


def test_deleting_a_user_in_the_admin_locks_their_token_out_at_once(
    admin_client: Client, auth_client, user: User
):
    assert auth_client.get(f"/api/{user.pk}/tasks").status_code == 200  # Now cached as active.
    delete_url = reverse("admin:users_user_delete", args=[quote(user.pk)])

    response = admin_client.post(delete_url, {"post": "yes"})

    assert response.status_code == 302
    assert not User.objects.filter(pk=user.pk).exists()
    assert auth_client.get(f"/api/{user.pk}/tasks").status_code == 401


def test_deleting_users_with_the_bulk_action_locks_their_tokens_out(
    admin_client: Client, auth_client, user: User
):
    assert auth_client.get(f"/api/{user.pk}/tasks").status_code == 200

    response = admin_client.post(
        reverse("admin:users_user_changelist"),
        {"action": "delete_selected", "_selected_action": [user.pk], "post": "yes"},
    )

    assert response.status_code == 302
    assert auth_client.get(f"/api/{user.pk}/tasks").status_code == 401
