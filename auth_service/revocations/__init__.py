"""What the booth has revoked, kept and published: the model, the `RevocationStore` port,
the rules (`Revoker`) and the signed list (`RevocationPublisher`). The SQL store is
`auth_service.revocations.sql`."""

from auth_service.revocations.model import Revocation, RevocationKind
from auth_service.revocations.port import RevocationStore
from auth_service.revocations.publisher import RevocationPublisher
from auth_service.revocations.revoker import Revoker

__all__ = ["Revocation", "RevocationKind", "RevocationPublisher", "RevocationStore", "Revoker"]
