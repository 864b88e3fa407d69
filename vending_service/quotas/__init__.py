"""Daily quotas: the model, the `QuotaStore` port, and SQL and Redis adapters."""

from vending_service.quotas.model import DAY, Quota, QuotaExceeded, quota_day
from vending_service.quotas.port import QuotaStore
from vending_service.quotas.redis import RedisQuotaStore
from vending_service.quotas.sql import SQLQuotaStore

__all__ = [
    "DAY",
    "Quota",
    "QuotaExceeded",
    "QuotaStore",
    "RedisQuotaStore",
    "SQLQuotaStore",
    "quota_day",
]
