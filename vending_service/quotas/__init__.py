"""Daily quotas: the model and the `QuotaStore` port.

The adapters are `vending_service.quotas.sql` and `.redis` (imported where stores are wired).
"""

from vending_service.quotas.model import DAY, Quota, QuotaExceeded, quota_day
from vending_service.quotas.port import QuotaStore

__all__ = ["DAY", "Quota", "QuotaExceeded", "QuotaStore", "quota_day"]
