"""Users and refresh-token chains: the model and the `AccountStore` port.

The SQL adapter is `auth_service.accounts.sql` (imported where stores are wired, not here).
"""

from auth_service.accounts.model import RefreshRecord, Spend, Spent, User, hash_refresh_token
from auth_service.accounts.port import AccountStore

__all__ = ["AccountStore", "RefreshRecord", "Spend", "Spent", "User", "hash_refresh_token"]
