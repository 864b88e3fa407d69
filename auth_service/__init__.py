"""The auth booth: checks usernames and passwords, hands out RS256 access tokens.

`auth_service.app.create_app` builds the service; `python -m auth_service` runs it.
"""
