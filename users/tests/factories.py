import factory

from users import tokens
from users.models import User


class UserFactory(factory.django.DjangoModelFactory):
    """A registered user whose password is "correct-horse-battery"."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    name = factory.Faker("name")
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery")

    @factory.post_generation
    def _save_password(obj, create: bool, extracted: object, **kwargs) -> None:
        if create:
            obj.save(update_fields=["password"])


def access_token_for(user: User) -> str:
    """A valid access token of the service's own for a user."""
    return tokens.issue_tokens(user_id=user.pk).access
