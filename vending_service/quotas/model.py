"""Daily quotas: pictures vended per user per UTC day, charged all-or-nothing."""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from shared.errors import LanyardError

__all__ = ["DAY", "Quota", "QuotaExceeded", "quota_day"]

DAY = 86400


@dataclass(frozen=True, slots=True)
class Quota:
    """One user's standing for one UTC day."""

    limit: int
    used: int
    resets_at: datetime

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.used)

    @property
    def reset_epoch(self) -> int:
        """The reset as POSIX seconds."""
        return _epoch(self.resets_at)

    def seconds_to_reset(self, now: float) -> int:
        return max(1, math.ceil(self.reset_epoch - now))


@functools.lru_cache(maxsize=8)
def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())


class QuotaExceeded(LanyardError):
    """Charging `requested` pictures at `at` would pass the day's limit; nothing was charged."""

    def __init__(self, quota: Quota, requested: int, at: float) -> None:
        super().__init__(
            f"the daily quota allows {quota.remaining} more picture(s) until "
            f"{quota.resets_at:%Y-%m-%dT%H:%M:%SZ}; this request asked for {requested}"
        )
        self.quota = quota
        self.requested = requested
        self.at = at


def quota_day(now: float) -> tuple[str, datetime]:
    """The UTC day `now` falls in, and the instant it ends."""
    return _utc_day(int(now // DAY))


@functools.lru_cache(maxsize=8)
def _utc_day(number: int) -> tuple[str, datetime]:
    # POSIX time has 86,400 s to every day, so days since the epoch are UTC days.
    start = datetime.fromtimestamp(number * DAY, UTC)
    return start.strftime("%Y-%m-%d"), start + timedelta(days=1)
