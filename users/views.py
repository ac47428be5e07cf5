"""Registration, login, token refresh and the current user."""

from django.contrib.auth import authenticate
from django.db import IntegrityError
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from todo_project.throttles import ClientAddressThrottle
from users import tokens
from users.authentication import AUTH_SCHEME
from users.models import User, normalize_email
from users.serializers import (
    DUPLICATE_EMAIL,
    LoginSerializer,
    RefreshSerializer,
    RegisterSerializer,
    TokenPairSerializer,
    UserSerializer,
)
from users.services import user_register


def token_pair_response(user: User, *, status_code: int = status.HTTP_200_OK) -> Response:
    """A fresh pair of the service's own tokens for a user, with the user."""
    issued = tokens.issue_tokens(user_id=user.pk)
    return Response(
        {
            "access": issued.access,
            "refresh": issued.refresh,
            "token_type": AUTH_SCHEME,
            "expires_in": issued.expires_in,
            "user": UserSerializer(user).data,
        },
        status=status_code,
    )


class TokenEndpoint(APIView):
    """Base for the endpoints that hand out tokens: open to anyone, no token read."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    # Guessing passwords and mass sign-ups are limited per client address.
    throttle_classes = [ClientAddressThrottle]

    def get_authenticate_header(self, request: Request) -> str:
        # Wrong credentials answer 401 with a challenge, as the contract's other 401s do.
        return AUTH_SCHEME


class RegisterView(TokenEndpoint):
    """Creates an account and signs it in."""

    @extend_schema(request=RegisterSerializer, responses={201: TokenPairSerializer})
    def post(self, request: Request) -> Response:
        serializer = RegisterSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            user = user_register(**serializer.validated_data)
        except IntegrityError as exc:
            # Two sign-ups with one email at once: both passed the serializer's check, and
            # the unique constraint stopped the second.
            raise exceptions.ValidationError({"email": [DUPLICATE_EMAIL]}) from exc
        return token_pair_response(user, status_code=status.HTTP_201_CREATED)


class LoginView(TokenEndpoint):
    """Exchanges an email and password for tokens."""

    @extend_schema(request=LoginSerializer, responses={200: TokenPairSerializer})
    def post(self, request: Request) -> Response:
        serializer = LoginSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = authenticate(
            request,
            email=normalize_email(serializer.validated_data["email"]),
            password=serializer.validated_data["password"],
        )
        if user is None:
            raise exceptions.AuthenticationFailed("Invalid email or password.")
        return token_pair_response(user)


class RefreshView(TokenEndpoint):
    """Exchanges a refresh token for a new pair."""

    @extend_schema(request=RefreshSerializer, responses={200: TokenPairSerializer})
    def post(self, request: Request) -> Response:
        serializer = RefreshSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            verified = tokens.verify_refresh_token(serializer.validated_data["refresh"])
        except tokens.InvalidToken as exc:
            raise exceptions.AuthenticationFailed(str(exc)) from exc
        user = User.objects.filter(pk=verified.subject, is_active=True).order_by().first()
        if user is None:
            raise exceptions.AuthenticationFailed("The token's user does not exist or is inactive.")
        return token_pair_response(user)


class MeView(APIView):
    """The user the bearer token belongs to."""

    @extend_schema(responses={200: UserSerializer})
    def get(self, request: Request) -> Response:
        # Authentication loads only what authorizing needs; the profile is read here.
        user = User.objects.get(pk=request.user.pk)
        return Response(UserSerializer(user).data)
