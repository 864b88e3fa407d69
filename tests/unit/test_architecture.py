"""The rooms keep their shape: what imports what, how large a module grows, what mixes.

Read from the source (AST), never by importing: a rule broken anywhere fails here with the
module and the import that breaks it.
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ("shared", "auth_service", "vending_service")
"""What the images copy."""
OURS = (*SHIPPED, "tools", "bench")
MAX_LINES = 300

DOMAIN = [
    "shared.errors",
    "shared.logs",
    "shared.settings",
    "shared.usernames",
    "shared.tokens.claims",
    "shared.tokens.errors",
    "shared.tokens.jwk",
    "shared.tokens.jws",
    "shared.tokens.jwks",
    "shared.tokens.documents",
    "shared.tokens.polling",
    "shared.tokens.revocations",
    "shared.tokens.revocation_cache",
    "shared.tokens.verifier",
    "auth_service.booth",
    "auth_service.clients",
    "auth_service.errors",
    "auth_service.issuer",
    "auth_service.accounts.model",
    "auth_service.accounts.port",
    "auth_service.keys.files",
    "auth_service.keys.lifecycle",
    "auth_service.keys.model",
    "auth_service.keys.port",
    "auth_service.keys.ring",
    "auth_service.keys.vault",
    "auth_service.revocations.model",
    "auth_service.revocations.port",
    "auth_service.revocations.publisher",
    "auth_service.revocations.revoker",
    "auth_service.passwords",
    "auth_service.throttle.memory",
    "auth_service.throttle.policy",
    "auth_service.throttle.port",
    "vending_service.machine",
    "vending_service.errors",
    "vending_service.pictures.cache",
    "vending_service.pictures.images",
    "vending_service.pictures.model",
    "vending_service.pictures.port",
    "vending_service.quotas.model",
    "vending_service.quotas.port",
    "vending_service.catalogue.drawing",
]
"""The rules and the models: framework-free, and free of store clients."""
WEB = ("starlette", "uvicorn", "fastapi", "multipart")
STORE_CLIENTS = ("sqlalchemy", "redis", "sqlite3", "aiosqlite", "asyncpg", "alembic")
EDGES = [
    "auth_service.oauth",
    "auth_service.routes",
    "auth_service.views",
    "vending_service.routes",
    "vending_service.views",
    "vending_service.bearer",
]
"""The only modules that speak HTTP and JSON: they reach stores through the domain only."""


def module_path(name: str) -> Path | None:
    base = ROOT.joinpath(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.exists():
            return candidate
    return None


def all_modules(packages: tuple[str, ...]) -> list[str]:
    names = []
    for package in packages:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def _runtime_nodes(tree: ast.AST) -> list[ast.AST]:
    """Every node, but those under `if TYPE_CHECKING:` (imports only a type checker runs)."""
    nodes: list[ast.AST] = []
    todo = [tree]
    while todo:
        node = todo.pop()
        if isinstance(node, ast.If) and ast.unparse(node.test).endswith("TYPE_CHECKING"):
            todo.extend(node.orelse)
            continue
        nodes.append(node)
        todo.extend(ast.iter_child_nodes(node))
    return nodes


@functools.cache
def direct_imports(name: str) -> frozenset[str]:
    """Every module `name` imports when it runs, at its top level or inside functions."""
    path = module_path(name)
    assert path is not None, name
    found: set[str] = set()
    for node in _runtime_nodes(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
            # `from package import module` imports the submodule too.
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return frozenset(found)


def ours(name: str) -> bool:
    return name.split(".")[0] in OURS and module_path(name) is not None


def with_parents(name: str) -> list[str]:
    """Importing `a.b.c` runs `a`, `a.b` and `a.b.c`."""
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts) + 1)]


@functools.cache
def closure(name: str) -> frozenset[str]:
    """Every module, ours or not, that importing `name` brings in (through our modules)."""
    seen: set[str] = set()
    todo = with_parents(name)
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        if ours(current):
            for imported in direct_imports(current):
                todo.extend(p for p in with_parents(imported) if p not in seen)
    return frozenset(seen)


def third_party_roots(name: str) -> set[str]:
    return {m.split(".")[0] for m in closure(name) if not ours(m)}


def chain_to(name: str, roots: tuple[str, ...]) -> str:
    """A readable path from `name` to the first module in `roots`, for failure messages."""
    paths = {name: [name]}
    todo = [name]
    while todo:
        current = todo.pop(0)
        for parent in with_parents(current):
            imports = direct_imports(parent) if ours(parent) else frozenset()
            for imported in sorted(imports):
                if imported.split(".")[0] in roots:
                    return " -> ".join([*paths[current], imported])
                if imported not in paths and ours(imported):
                    paths[imported] = [*paths[current], imported]
                    todo.append(imported)
    return "?"


@pytest.mark.parametrize("name", DOMAIN)
def test_no_domain_module_reaches_a_web_framework(name: str) -> None:
    """The rules and models import no Starlette (nor anything else that speaks HTTP)."""
    reached = third_party_roots(name) & set(WEB)
    assert not reached, chain_to(name, WEB)


@pytest.mark.parametrize("name", DOMAIN)
def test_no_domain_module_reaches_a_store_client(name: str) -> None:
    """The rules and models import no database or Redis client: stores are behind ports."""
    reached = third_party_roots(name) & set(STORE_CLIENTS)
    assert not reached, chain_to(name, STORE_CLIENTS)


@pytest.mark.parametrize("name", EDGES)
def test_no_route_or_view_reaches_sqlalchemy(name: str) -> None:
    """Routes and views reach stores only through the domain: no SQL client below them."""
    reached = third_party_roots(name) & set(STORE_CLIENTS)
    assert not reached, chain_to(name, STORE_CLIENTS)


@pytest.mark.parametrize("name", all_modules(OURS))
def test_no_module_is_over_300_lines(name: str) -> None:
    path = module_path(name)
    assert path is not None
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{path.relative_to(ROOT)} has {lines} lines"


def kinds(name: str) -> set[str]:
    """Which of model (a public dataclass or enum), port (a Protocol) and adapter (a module
    that imports a store client) the module holds."""
    path = module_path(name)
    assert path is not None
    found = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if not isinstance(node, ast.ClassDef):
            continue
        bases = {ast.unparse(base) for base in node.bases}
        decorators = {ast.unparse(d).split("(")[0] for d in node.decorator_list}
        if bases & {"Protocol", "typing.Protocol"} or any("Protocol" in b for b in bases):
            found.add("port")
        elif not node.name.startswith("_") and (
            "dataclass" in decorators or bases & {"Enum", "enum.Enum"}
        ):
            found.add("model")
    if {m.split(".")[0] for m in direct_imports(name)} & set(STORE_CLIENTS):
        found.add("adapter")
    return found


@pytest.mark.parametrize("name", all_modules(SHIPPED))
def test_no_module_mixes_a_model_a_port_and_an_adapter(name: str) -> None:
    """Each module is at most one of: models, ports, adapters."""
    assert len(kinds(name) - {"model"} if name.endswith(".errors") else kinds(name)) <= 1, (
        f"{name} holds {sorted(kinds(name))}"
    )


def test_the_rules_above_can_fail() -> None:
    """The checks see what they claim to: known imports and kinds are found."""
    assert "starlette" in third_party_roots("vending_service.routes")
    assert "sqlalchemy" in third_party_roots("vending_service.app")
    assert kinds("vending_service.pictures.port") == {"port"}
    assert kinds("vending_service.pictures.model") == {"model"}
    assert kinds("vending_service.pictures.sql") == {"adapter"}
    assert "auth_service.accounts.model" in closure("auth_service.booth")
