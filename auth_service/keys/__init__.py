"""The booth's signing keys: key files, and the ring that signs and is published."""

from auth_service.keys.files import KeyFileError, ensure_key, generate_key
from auth_service.keys.ring import KeyRing, SigningKey

__all__ = ["KeyFileError", "KeyRing", "SigningKey", "ensure_key", "generate_key"]
