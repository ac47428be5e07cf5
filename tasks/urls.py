from django.urls import re_path
from rest_framework.routers import SimpleRouter

from tasks.views import TagListView, TaskViewSet
from users.models import USER_ID_PATTERN

router = SimpleRouter(trailing_slash=False)
router.register(rf"(?P<user_id>{USER_ID_PATTERN})/tasks", TaskViewSet, basename="task")

urlpatterns = [
    *router.urls,
    re_path(rf"^(?P<user_id>{USER_ID_PATTERN})/tags$", TagListView.as_view(), name="tag-list"),
]
