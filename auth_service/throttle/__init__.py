"""Login throttling: the policy (`LoginThrottle`), its port, and memory and Redis stores."""

from auth_service.throttle.memory import MemoryThrottleStore
from auth_service.throttle.policy import LoginThrottle
from auth_service.throttle.port import ThrottleStore
from auth_service.throttle.redis import RedisThrottleStore

__all__ = ["LoginThrottle", "MemoryThrottleStore", "RedisThrottleStore", "ThrottleStore"]
