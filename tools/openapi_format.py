"""Write an OpenAPI document as the hand-kept ones are written: two-space indents, short
arrays of plain values on one line. `python -m tools.openapi_format FILE...` rewrites files in place
(the content unchanged); editors of the documents use `dump` to keep diffs small."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

__all__ = ["dump"]

WIDTH = 100
"""Arrays of plain values that fit in this many columns (with their indent) stay on a line."""


def _inline(value: Any) -> bool:
    return isinstance(value, list) and all(not isinstance(v, dict | list) for v in value)


def _write(value: Any, indent: int) -> str:
    pad, inner = " " * indent, " " * (indent + 2)
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = [f"{inner}{json.dumps(k)}: {_write(v, indent + 2)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + f"\n{pad}}}"
    if isinstance(value, list):
        line = "[" + ", ".join(json.dumps(v, ensure_ascii=False) for v in value) + "]"
        if _inline(value) and indent + len(line) <= WIDTH:
            return line
        items = [f"{inner}{_write(v, indent + 2)}" for v in value]
        return "[\n" + ",\n".join(items) + f"\n{pad}]"
    return json.dumps(value, ensure_ascii=False)


def dump(document: Any) -> str:
    """The document's text, with a final newline."""
    return _write(document, 0) + "\n"


def main(argv: list[str]) -> int:
    for name in argv:
        path = Path(name)
        path.write_text(dump(json.loads(path.read_text())))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
