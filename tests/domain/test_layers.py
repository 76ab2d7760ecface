"""The three layers stay in their lanes: the domain never imports discord, cogs never write SQL."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# The Discord-facing entry points of the bot package; everything else in bot/ is plain Python.
DISCORD_ADAPTERS = {"bot/client.py", "bot/__main__.py", "bot/commands_i18n.py", "bot/outgoing.py"}
SQL = re.compile(
    r"^\s*(SELECT\b.*\bFROM\b|INSERT\s+INTO\b|UPDATE\s+\w+\s+SET\b|DELETE\s+FROM\b|"
    r"(CREATE|DROP|ALTER)\s+(TABLE|INDEX|TRIGGER)\b)",
    re.IGNORECASE | re.DOTALL,
)


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_domain_and_store_never_import_discord() -> None:
    offenders = []
    for folder in ("bot", "db"):
        for path in (ROOT / folder).rglob("*.py"):
            relative = path.relative_to(ROOT).as_posix()
            if relative in DISCORD_ADAPTERS or relative.startswith("bot/services/"):
                continue
            if any(name == "discord" or name.startswith("discord.") for name in imported_modules(path)):
                offenders.append(relative)
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
