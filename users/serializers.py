"""Request and response shapes of the authentication endpoints."""

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from users.models import User, normalize_email

DUPLICATE_EMAIL = "A user with this email already exists."


class UserSerializer(serializers.ModelSerializer):
    """The current user, as `me` and the token endpoints show it."""

    class Meta:
        model = User
        fields = ["id", "email", "name", "date_joined"]
        read_only_fields = fields


class RegisterSerializer(serializers.Serializer):
    """A new account: a unique email and a password that passes Django's validators."""

    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(write_only=True, trim_whitespace=False, max_length=128)
    name = serializers.CharField(max_length=150, required=False, default="", allow_blank=True)

    def validate_email(self, value: str) -> str:
        email = normalize_email(value)
        if User.objects.filter(email=email).exists():
            raise serializers.ValidationError(DUPLICATE_EMAIL)
        return email

    def validate(self, attrs: dict) -> dict:
        candidate = User(email=attrs["email"], name=attrs.get("name", ""))
        try:
            password_validation.validate_password(attrs["password"], user=candidate)
        except DjangoValidationError as exc:
            raise serializers.ValidationError({"password": list(exc.messages)}) from exc
        return attrs


class LoginSerializer(serializers.Serializer):
    """Credentials to exchange for tokens."""

    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(write_only=True, trim_whitespace=False, max_length=128)


class RefreshSerializer(serializers.Serializer):
    """A refresh token to exchange for a new pair."""

    refresh = serializers.CharField()


class TokenPairSerializer(serializers.Serializer):
    """The answer of register, login and refresh."""

    access = serializers.CharField()
    refresh = serializers.CharField()
    token_type = serializers.ChoiceField(choices=["Bearer"])
    expires_in = serializers.IntegerField(help_text="Seconds until the access token expires.")
    user = UserSerializer()
