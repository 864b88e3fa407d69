"""`python -m shared.web.healthcheck`: exit 0 when this container's service is ready.

What the images' HEALTHCHECK runs: a GET of `/readyz` on `127.0.0.1:$SERVICE_PORT`, two
seconds at most, with nothing but the standard library.
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request


def main() -> int:
    url = f"http://127.0.0.1:{os.environ.get('SERVICE_PORT', '8000')}/readyz"
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return 0 if response.status == 200 else 1
    except (urllib.error.URLError, OSError):
        return 1


if __name__ == "__main__":
    sys.exit(main())
