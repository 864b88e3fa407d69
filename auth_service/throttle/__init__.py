"""Login throttling (`LoginThrottle`), the registration limit (`RegistrationLimit`), their
store's port and the in-memory store.

The Redis store is `auth_service.throttle.redis` (imported where stores are wired).
"""

from auth_service.throttle.memory import MemoryThrottleStore
from auth_service.throttle.policy import LoginThrottle
from auth_service.throttle.port import ThrottleStore
from auth_service.throttle.registrations import RegistrationLimit

__all__ = ["LoginThrottle", "MemoryThrottleStore", "RegistrationLimit", "ThrottleStore"]
