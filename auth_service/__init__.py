"""The auth booth: checks usernames and passwords, hands out RS256 access tokens."""

from auth_service.app import create_app
from auth_service.settings import AuthSettings

__all__ = ["AuthSettings", "create_app"]
