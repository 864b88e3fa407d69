"""`make bench`: Lanyard's throughput and latency against a ceiling and a naive reference.

Nothing in the services imports this package, and no image ships it.
"""
