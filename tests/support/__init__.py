"""Helpers for the tests (and the benchmark), never copied into an image.

`tokens` mints access tokens as the booth would; `jwks` fakes the booth's JWKS endpoint;
`clock` is a clock that moves when told; `servers` runs private PostgreSQL and Redis
servers; `services` runs Lanyard's own services as real processes; `stores` holds
in-memory stores for unit tests of the booth and the machine.
"""
