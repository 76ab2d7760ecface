"""The layers stay in their lanes, checked by import analysis of every module of bot/, cogs/ and db/.

- the domain (`bot/` minus the shell) imports neither discord nor the store nor the adapters nor the shell;
- the store (`db/`) imports nothing of the app;
- the Discord adapters (`cogs/`) reach another feature only through the services (`bot.services`): a cog package
  imports its own modules and the shared adapter modules, never another feature's;
- the shell (entry point, client, services, settings, the web server) may import all.
Imports under `if TYPE_CHECKING:` are names for the type checker, not dependencies at run time; they are held to
the same rules, except the few listed in TYPE_ONLY below.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("bot", "cogs", "db")
# The application shell: everything that wires the layers together, talks to Discord, or opens files and the store.
SHELL = (
    "bot.__main__",
    "bot.client",
    "bot.commands_i18n",
    "bot.net",
    "bot.outgoing",
    "bot.secret",
    "bot.services",
    "bot.settings",
    "bot.web.app",
)
# Modules every adapter may use besides its own feature: the helpers all cogs share.
SHARED_ADAPTERS = ("cogs.common", "cogs.components", "cogs.delivery")
# What adapters may take from the shell: the one send path, the services (and their constants), the bot's type.
ADAPTER_SHELL = ("bot.outgoing", "bot.services", "bot.client")
# Type-only imports that cross a line on purpose: the digest builder reads the store's aggregates by shape.
TYPE_ONLY = {
    ("bot.digest.build", "db.debate"),
    ("bot.digest.build", "db.digests"),
    ("bot.digest.build", "db.guild_settings"),
}
IO_LIBRARIES = ("discord", "aiosqlite", "asyncpg", "aiohttp")  # the domain opens no connection
DATABASE_DRIVERS = ("aiosqlite", "asyncpg")  # the store's own
SQL = re.compile(
    r"^\s*(SELECT\b.*\bFROM\b|INSERT\s+INTO\b|UPDATE\s+\w+\s+SET\b|DELETE\s+FROM\b|"
    r"(CREATE|DROP|ALTER)\s+(TABLE|INDEX|TRIGGER)\b)",
    re.IGNORECASE | re.DOTALL,
)


@dataclass(frozen=True)
class Import:
    module: str  # the importing module, dotted
    target: str  # what it imports, dotted (`from a.b import c` counts as `a.b.c` and `a.b`)
    type_only: bool  # under `if TYPE_CHECKING:`


def within(module: str, prefixes: tuple[str, ...] | str) -> bool:
    prefixes = (prefixes,) if isinstance(prefixes, str) else prefixes
    return any(module == prefix or module.startswith(prefix + ".") for prefix in prefixes)


def layer(module: str) -> str:
    if within(module, "db"):
        return "store"
    if within(module, "cogs"):
        return "adapters"
    if within(module, SHELL):
        return "shell"
    return "domain"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imports_of(path: Path) -> list[Import]:
    module = module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: list[Import] = []

    def visit(node: ast.AST, type_only: bool) -> None:
        if isinstance(node, ast.If) and is_type_checking(node.test):
            for child in node.body:
                visit(child, True)
            for child in node.orelse:
                visit(child, type_only)
            return
        if isinstance(node, ast.Import):
            found.extend(Import(module, alias.name, type_only) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            found.append(Import(module, base, type_only))
            found.extend(Import(module, f"{base}.{alias.name}", type_only) for alias in node.names)
        for child in ast.iter_child_nodes(node):
            visit(child, type_only)

    visit(ast.parse(path.read_text(encoding="utf-8")), False)
    return found


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports (type-only ones included)."""
    return {imp.target for imp in imports_of(path)}


def all_imports() -> list[Import]:
    return [imp for package in PACKAGES for path in sorted((ROOT / package).rglob("*.py")) for imp in imports_of(path)]


def first_party(target: str) -> bool:
    return within(target, PACKAGES)


def feature_of(module: str) -> str:
    """`cogs.polls.views` → `cogs.polls`; `cogs.feeds` → `cogs.feeds`."""
    return ".".join(module.split(".")[:2])


def breaks_a_rule(imp: Import) -> str | None:
    """Why this import crosses a layer the wrong way, or None."""
    source = layer(imp.module)
    if source == "shell":
        return None
    if not first_party(imp.target):
        if source in ("domain", "store") and within(imp.target, IO_LIBRARIES) and not imp.type_only:
            if not (source == "store" and within(imp.target, DATABASE_DRIVERS)):
                return f"the {source} imports {imp.target}"
        return None
    target = layer(imp.target)
    if imp.type_only and any(imp.module == module and within(imp.target, allowed) for module, allowed in TYPE_ONLY):
        return None
    if source == "store":
        return None if target == "store" else "the store imports the app"
    if source == "domain":
        return None if target == "domain" else f"the domain imports the {target}"
    # adapters
    if target == "shell":
        return None if within(imp.target, ADAPTER_SHELL) else "a cog imports the shell beyond services and send path"
    if target == "adapters":
        same_feature = feature_of(imp.target) == feature_of(imp.module)
        shared = within(imp.target, SHARED_ADAPTERS)
        return None if same_feature or shared else "a cog imports another feature's internals (use its service)"
    return None


def test_every_import_follows_the_layers() -> None:
    offenders = [
        f"{imp.module} → {imp.target}{' (type only)' if imp.type_only else ''}: {why}"
        for imp in all_imports()
        if (why := breaks_a_rule(imp))
    ]
    assert not offenders, "\n".join(offenders)


def test_the_layer_rules_catch_what_they_forbid() -> None:
    forbidden = [
        Import("bot.polls.card", "discord", False),
        Import("bot.digest.build", "db.polls", False),
        Import("bot.polls.tally", "bot.client.Tribune", False),
        Import("db.database", "bot.settings", False),
        Import("db.polls", "bot.polls.tally", True),
        Import("cogs.opinions.cog", "cogs.polls.cog.PollsCog", False),
        Import("cogs.polls.views", "bot.web.app", False),
        Import("bot.digest.build", "db.digests.PeriodActivity", False),  # named for types, used at run time
        Import("bot.articles.extract", "aiohttp", False),  # fetching belongs to the shell (bot.net)
        Import("db.polls", "aiohttp", False),
    ]
    allowed = [
        Import("bot.services.polls", "cogs.opinions.views.OpinionButton", False),
        Import("cogs.polls.cog", "cogs.polls.views.DYNAMIC_ITEMS", False),
        Import("cogs.feeds", "bot.services.articles.POST_PERMISSIONS", False),
        Import("cogs.polls.views", "bot.client.Tribune", True),
        Import("bot.digest.build", "db.digests.PeriodActivity", True),
        Import("db.database", "aiosqlite", False),
        Import("db.database", "asyncpg", False),
        Import("bot.net.fetch", "aiohttp", False),
        Import("bot.net.fetch", "bot.articles.extract.extract_html", False),
    ]
    assert all(breaks_a_rule(imp) for imp in forbidden), [imp for imp in forbidden if not breaks_a_rule(imp)]
    assert not any(breaks_a_rule(imp) for imp in allowed), [(imp, breaks_a_rule(imp)) for imp in allowed]


def test_the_analysis_sees_every_module() -> None:
    imports = all_imports()
    importers = {imp.module for imp in imports}
    assert {"bot.client", "bot.services.polls", "cogs.polls.views", "db.database", "bot.polls.card"} <= importers
    assert Import("bot.client", "bot.services.polls", False) in imports
    assert Import("cogs.polls.views", "bot.client", True) in imports


def test_domain_and_store_never_import_discord() -> None:
    offenders = [
        f"{imp.module} → {imp.target}"
        for imp in all_imports()
        if layer(imp.module) in ("domain", "store") and within(imp.target, "discord")
    ]
    assert not offenders


def test_features_never_look_each_other_up_by_name() -> None:
    """Services are typed attributes of the bot: no `get_cog("…")`, no list of another feature's callbacks."""
    offenders = []
    for package in ("bot", "cogs"):
        for path in (ROOT / package).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            if "get_cog(" in text or "extra_items" in text:
                offenders.append(path.relative_to(ROOT).as_posix())
    assert not offenders


def test_cogs_hold_no_sql() -> None:
    offenders = []
    for path in (ROOT / "cogs").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and SQL.match(node.value):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not offenders


# discord.py's own send/edit methods: Tribune calls them only through bot/outgoing.py, which fits every
# message to Discord's limits.
DIRECT_SEND = re.compile(
    r"\.(send_message|send_modal|edit_message|edit_original_response)\(|followup\.send\(|"
    r"\b(channel|thread|message|destination|messageable|\))\.send\(|\bmessage\.edit\("
)


def test_every_message_goes_through_the_one_send_path() -> None:
    offenders = []
    for folder in ("bot", "cogs"):
        for path in (ROOT / folder).rglob("*.py"):
            relative = path.relative_to(ROOT).as_posix()
            if relative in {"bot/outgoing.py"}:
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if DIRECT_SEND.search(line):
                    offenders.append(f"{relative}:{number}: {line.strip()}")
    assert not offenders
