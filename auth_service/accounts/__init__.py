"""Users and refresh-token chains: the model, the `AccountStore` port, the SQL adapter."""

from auth_service.accounts.model import RefreshRecord, Spend, Spent, User, hash_refresh_token
from auth_service.accounts.port import AccountStore
from auth_service.accounts.sql import MIGRATIONS, SQLAccountStore

__all__ = [
    "MIGRATIONS",
    "AccountStore",
    "RefreshRecord",
    "SQLAccountStore",
    "Spend",
    "Spent",
    "User",
    "hash_refresh_token",
]
