from tasks.tests.factories import TaskFactory


def test_the_owner_lists_a_task(auth_client, user):
    task = TaskFactory(user=user)
    response = auth_client.get(f"/api/{user.pk}/tasks")
    assert response.status_code == 200
    assert [t["id"] for t in response.json()] == [task.pk]
