"""Lanyard's shared library: what the auth booth and the vending machine both import.

- `shared.tokens`: the token library (JWS, claims, JWKs, the JWKS cache, the verifier),
  framework-free;
- `shared.web`: Starlette plumbing (the edge layer, request bodies, problem+json, OpenAPI,
  metrics, the `serve` command);
- `shared.stores`: store plumbing (engines, migrations, outages as `StoreUnavailable`,
  batching, the SQLite worker thread);
- `shared.errors`, `shared.settings`, `shared.usernames`: the error root and its kinds,
  settings read from the environment, canonical usernames.

Nothing here is only for tests: test helpers live in `tests/support/`.
"""
