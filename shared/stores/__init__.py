"""Store plumbing both services share: engines, migrations, outages, batching."""

from shared.stores.batcher import Batcher
from shared.stores.db import create_engine, create_redis, ping
from shared.stores.failures import StoreUnavailable, is_unavailable, store_call
from shared.stores.migrations import migrate
from shared.stores.sqlite_worker import SQLiteWorker, sqlite_file

__all__ = [
    "Batcher",
    "SQLiteWorker",
    "StoreUnavailable",
    "create_engine",
    "create_redis",
    "is_unavailable",
    "migrate",
    "ping",
    "sqlite_file",
    "store_call",
]
