"""A throw-away PostgreSQL server for the tests and the benchmarks, started from the machine's binaries.

`initdb` + `pg_ctl` into a temporary folder, listening on 127.0.0.1 on a free port; as root, they run as the
`postgres` user (PostgreSQL refuses root). Each test gets a fresh database copied from a migrated template.
"""

from __future__ import annotations

import contextlib
import glob
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import asyncpg

USER = "tribune"
_names = itertools.count(1)


def find_bindir() -> Path | None:
    """Where initdb and pg_ctl are: `pg_config --bindir`, then Debian's and the usual paths."""
    candidates: list[str] = []
    pg_config = shutil.which("pg_config")
    if pg_config:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            candidates.append(subprocess.run([pg_config, "--bindir"], capture_output=True, text=True).stdout.strip())
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    candidates += ["/usr/local/pgsql/bin", "/usr/local/bin", "/usr/bin"]
    for folder in candidates:
        if folder and (Path(folder) / "initdb").exists() and (Path(folder) / "pg_ctl").exists():
            return Path(folder)
    return None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class PostgresServer:
    """One server process; `url(name)` is the DATABASE_URL of one of its databases."""

    def __init__(self, bindir: Path, *, fsync: bool = False) -> None:
        self.bindir = bindir
        self.fsync = fsync
        self.port = _free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="tribune-pg-"))
        self.data = self.folder / "data"
        self._as_postgres = os.geteuid() == 0

    def _run(self, *args: str) -> None:
        command = [str(self.bindir / args[0]), *args[1:]]
        if self._as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, text=True)

    def start(self) -> None:
        if self._as_postgres:
            entry = pwd.getpwnam("postgres")
            os.chown(self.folder, entry.pw_uid, entry.pw_gid)
        self._run("initdb", "-D", str(self.data), "--auth=trust", "-U", USER, "-E", "UTF8", "--no-sync")
        options = (
            f"-c listen_addresses=127.0.0.1 -c port={self.port} -c unix_socket_directories={self.folder} "
            f"-c fsync={'on' if self.fsync else 'off'} -c max_connections=200 -c shared_buffers=64MB"
        )
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.folder / "log"), "-w", "start")

    def stop(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.folder, ignore_errors=True)

    @property
    def pid(self) -> int:
        """The postmaster's process id (its backends are its children)."""
        return int((self.data / "postmaster.pid").read_text().split()[0])

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{USER}@127.0.0.1:{self.port}/{database}"

    async def create_database(self, template: str | None = None) -> str:
        """A new empty database (or a copy of `template`); returns its URL."""
        name = f"t{os.getpid()}_{next(_names)}"
        conn = await asyncpg.connect(self.url())
        try:
            suffix = f" TEMPLATE {template}" if template else ""
            await conn.execute(f"CREATE DATABASE {name}{suffix}")
        finally:
            await conn.close()
        return self.url(name)


@contextlib.contextmanager
def running_server(*, fsync: bool = False) -> Iterator[PostgresServer | None]:
    """A started server, or None when the machine has no PostgreSQL binaries."""
    bindir = find_bindir()
    if bindir is None:
        yield None
        return
    server = PostgresServer(bindir, fsync=fsync)
    server.start()
    try:
        yield server
    finally:
        server.stop()


# --- pytest fixtures (registered by tests/conftest.py through `pytest_plugins`) ------------------------------

import pytest  # noqa: E402  (the module is also imported by the benchmarks, which need no pytest fixtures)

_missing_warned = False


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """The session's PostgreSQL server; in CI its absence fails, elsewhere it skips with one warning."""
    global _missing_warned
    with running_server() as server:
        if server is None:
            message = "PostgreSQL is not installed (no initdb/pg_ctl found): the PostgreSQL store tests are skipped"
            if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
                pytest.fail(message.replace("are skipped", "cannot run in CI"), pytrace=False)
            if not _missing_warned:
                import warnings

                warnings.warn(message, stacklevel=1)
                _missing_warned = True
            pytest.skip(message)
        yield server


_templates: dict[int, str] = {}


async def migrated_database_url(server: PostgresServer) -> str:
    """A fresh database at the latest schema, copied from a template migrated once per session."""
    from db.database import Database
    from db.location import DatabaseLocation

    template = _templates.get(id(server))
    if template is None:
        url = await server.create_database()
        store = Database(DatabaseLocation.parse(url))
        await store.connect()
        try:
            await store.migrate()
        finally:
            await store.close()
        template = _templates[id(server)] = url.rsplit("/", 1)[1]
    return await server.create_database(template=template)
