"""DRF authentication by `Authorization: Bearer <JWT>`, the only credential the API reads."""

from django.conf import settings
from django.http import HttpRequest
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from users import tokens
from users.models import User
from users.services import user_get_for_request, user_get_or_create_external

AUTH_SCHEME = "Bearer"


class IdentityProviderUnavailable(exceptions.APIException):
    """The external issuer's keys could not be fetched: a fault on our side, not the client's."""

    status_code = 503
    default_detail = "The identity provider's keys could not be fetched; try again shortly."
    default_code = "identity_provider_unavailable"

    @property
    def wait(self) -> float:
        """Seconds until the key set is fetched again: the client's Retry-After."""
        return settings.JWT_JWKS_MIN_REFETCH_SECONDS


class BearerTokenAuthentication(BaseAuthentication):
    """Authenticates the service's own tokens and external ones (Better Auth's JWTs).

    Only the header counts: a token in the query string or the body is never read.
    """

    def authenticate(self, request: HttpRequest) -> tuple[User, tokens.VerifiedToken] | None:
        header = get_authorization_header(request).split()
        if not header:
            return None
        if len(header) != 2 or header[0].lower() != AUTH_SCHEME.lower().encode():
            raise exceptions.AuthenticationFailed(
                "The Authorization header must be 'Bearer <token>'."
            )
        try:
            verified = tokens.verify_access_token(header[1].decode("ascii"))
        except UnicodeDecodeError as exc:
            raise exceptions.AuthenticationFailed("The token is malformed.") from exc
        except tokens.InvalidToken as exc:
            raise exceptions.AuthenticationFailed(str(exc)) from exc
        except tokens.KeySetUnavailable as exc:
            raise IdentityProviderUnavailable() from exc

        user = user_get_for_request(user_id=verified.subject)
        if user is None and not verified.is_own:
            user = user_get_or_create_external(user_id=verified.subject, claims=verified.claims)
        if user is None or not user.is_active:
            raise exceptions.AuthenticationFailed("The token's user does not exist or is inactive.")
        return user, verified

    def authenticate_header(self, request: HttpRequest) -> str:
        return AUTH_SCHEME
