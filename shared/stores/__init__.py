"""Store plumbing both services share, one module a job, imported by its full name.

`db` (engines and Redis clients), `migrations` (Alembic, serialised across replicas),
`failures` (outages become `shared.errors.StoreUnavailable`), `batcher` (round trips
shared by calls that arrive together), `sqlite_worker` (one thread owning a SQLite
connection), `port` and `statements` (running a statement through the engine or the
worker). Nothing is imported here, so that a module needing only `batcher` does not bring
in a database client.
"""
