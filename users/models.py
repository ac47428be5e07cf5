"""The service's users: the owners of tasks, identified by the same id as their tokens' `sub`."""

import secrets
import string

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone

USER_ID_MAX_LENGTH = 64
USER_ID_PATTERN = r"[A-Za-z0-9_-]{1,64}"


USER_ID_ALPHABET = string.ascii_letters + string.digits


def new_user_id() -> str:
    """A random id for a user registered here: 22 letters and digits (130 bits).

    Letters and digits only, like Better Auth's ids: an id starting with "-" would read
    as an option to `manage.py issue_token`.
    """
    return "".join(secrets.choice(USER_ID_ALPHABET) for _ in range(22))


def normalize_email(email: str) -> str:
    """Emails are compared and stored lower-cased, so that one address is one account."""
    return email.strip().lower()


class UserManager(BaseUserManager["User"]):
    """Creates users keyed by email, as `createsuperuser` and the admin expect."""

    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **fields) -> "User":
        user = self.model(email=normalize_email(email), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields) -> "User":
        fields.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A person with tasks: registered here, or known through an external identity provider."""

    id = models.CharField(
        primary_key=True,
        max_length=USER_ID_MAX_LENGTH,
        default=new_user_id,
        editable=False,
        validators=[RegexValidator(rf"\A{USER_ID_PATTERN}\Z")],
    )
    # Null for a user created from an external token that carried no email (or one that
    # another account already uses): NULLs do not collide under the unique constraint.
    email = models.EmailField(unique=True, null=True, blank=True)
    name = models.CharField(max_length=150, blank=True, default="")
    is_staff = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        ordering = ["-date_joined"]
        indexes = [models.Index(fields=["date_joined"], name="user_date_joined_idx")]

    def __str__(self) -> str:
        return self.email or self.id
