"""The entry point as an operator meets it: real subprocesses, real exit codes and messages."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from db.database import available_migrations
from tests.conftest import REPO_ROOT


def run_cli(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "TRIBUNE_", "DATABASE_"))}
    environ.update(env)
    environ["PYTHONPATH"] = str(REPO_ROOT)
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], cwd=cwd, env=environ, capture_output=True, text=True, timeout=60
    )


def test_help_lists_the_three_commands(tmp_path: Path) -> None:
    result = run_cli("--help", cwd=tmp_path)
    assert result.returncode == 0
    for command in ("run", "sync", "migrate"):
        assert command in result.stdout


def test_missing_token_exits_2_and_says_where_to_get_and_put_one(tmp_path: Path) -> None:
    for args in ((), ("run",), ("sync",)):
        result = run_cli(*args, cwd=tmp_path, DISCORD_TOKEN="  ")
        assert result.returncode == 2, result.stderr
        assert "DISCORD_TOKEN" in result.stderr
        assert "discord.com/developers/applications" in result.stderr
        assert ".env" in result.stderr
        assert "Traceback" not in result.stderr


def test_token_is_read_from_dotenv_in_the_working_directory(tmp_path: Path) -> None:
    # A malformed DATABASE_URL in .env proves the file was read: the error names it.
    (tmp_path / ".env").write_text("DATABASE_URL=mysql://nope\n", encoding="utf-8")
    result = run_cli("migrate", cwd=tmp_path)
    assert result.returncode == 2
    assert "DATABASE_URL" in result.stderr and "mysql://nope" in result.stderr


def test_bad_database_url_exits_2_with_a_clear_message(tmp_path: Path) -> None:
    for url, fragment in (
        ("postgresql://127.0.0.1:1/tribune", "TRIBUNE_SECRET est obligatoire avec PostgreSQL"),
        ("ftp://x", "n'est pas reconnue"),
        ("sqlite:///", "ne nomme aucun fichier"),
        (f"sqlite:///{tmp_path}/missing/dir/t.db", "n'existe pas"),
    ):
        result = run_cli("migrate", cwd=tmp_path, DATABASE_URL=url, DISCORD_TOKEN="secret-token-value")
        assert result.returncode == 2, (url, result.stderr)
        assert fragment in result.stderr, (url, result.stderr)
        assert "Traceback" not in result.stderr
        assert "secret-token-value" not in result.stderr + result.stdout


def test_an_unreachable_postgresql_exits_2_without_showing_its_password(tmp_path: Path) -> None:
    url = "postgresql://tribune:pg-password@127.0.0.1:1/tribune"
    result = run_cli("migrate", cwd=tmp_path, DATABASE_URL=url, TRIBUNE_SECRET="k")
    assert result.returncode == 2 and "PostgreSQL" in result.stderr and "Traceback" not in result.stderr
    assert "pg-password" not in result.stderr + result.stdout


def test_migrate_creates_the_schema_and_prints_its_version(tmp_path: Path) -> None:
    result = run_cli("migrate", cwd=tmp_path)  # default DATABASE_URL: sqlite:///tribune.db, in the cwd
    assert result.returncode == 0, result.stderr
    latest = available_migrations()[-1][0]
    assert f"version {latest}" in result.stdout
    version = sqlite3.connect(tmp_path / "tribune.db").execute("PRAGMA user_version").fetchone()[0]
    assert version == latest
    assert run_cli("migrate", cwd=tmp_path).returncode == 0  # idempotent


def test_invalid_log_level_is_refused(tmp_path: Path) -> None:
    result = run_cli("migrate", cwd=tmp_path, TRIBUNE_LOG_LEVEL="LOUD")
    assert result.returncode == 2 and "TRIBUNE_LOG_LEVEL" in result.stderr


def test_web_without_a_port_says_which_variable_to_set(tmp_path: Path) -> None:
    result = run_cli("web", cwd=tmp_path)
    assert result.returncode == 2 and "TRIBUNE_WEB_PORT" in result.stderr


async def test_web_serves_the_published_results_of_the_same_database_on_its_own(tmp_path: Path) -> None:
    import asyncio
    import json
    import signal
    import socket

    import aiohttp

    from db.database import Database
    from tests.web.conftest import enable, seed_poll

    with socket.socket() as probe:  # a free port for the child process
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    database = Database.from_path(tmp_path / "tribune.db")
    async with database:
        await database.migrate()
        await enable(database)
        seeded = await seed_poll(database, {0: 2, 3: 1})
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "TRIBUNE_", "DATABASE_"))}
    environ.update(PYTHONPATH=str(REPO_ROOT), TRIBUNE_WEB_PORT=str(port))
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "web", cwd=tmp_path, env=environ, stdout=asyncio.subprocess.PIPE
    )
    try:
        assert process.stdout is not None
        line = (await asyncio.wait_for(process.stdout.readline(), timeout=30)).decode()
        assert f"http://127.0.0.1:{port}" in line  # no Discord token needed: it never talks to Discord
        async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{port}/p/{seeded.public_id}.json") as r:
            assert r.status == 200
            assert [a["count"] for a in json.loads(await r.text())["answers"]] == [2, 0, 0, 1, 0]
    finally:
        process.send_signal(signal.SIGINT)
        assert await asyncio.wait_for(process.wait(), timeout=30) == 0


def test_a_second_bot_process_on_one_sqlite_store_is_refused(tmp_path: Path) -> None:
    from db.leases import SingleProcessLock

    running = SingleProcessLock(tmp_path / "tribune.db")  # the first process, holding the store
    running.acquire()
    try:
        result = run_cli("run", cwd=tmp_path, DISCORD_TOKEN="token-never-used")
    finally:
        running.release()
    assert result.returncode == 2, result.stderr
    assert "SQLite n'admet qu'un processus" in result.stderr and "PostgreSQL" in result.stderr
    assert "Traceback" not in result.stderr
