"""A PostgreSQL server of our own, for tests that stop and start the database.

The shared server at 127.0.0.1:5432 is never stopped by tests. `PrivatePostgres`
runs `initdb` into a temporary directory and `pg_ctl start/stop` on a free
loopback port. PostgreSQL refuses to run as root, so when the tests run as
root the server runs as the `postgres` system user (through `runuser`).

    pg = PrivatePostgres(tmp_dir); pg.init(); pg.start()
    url = pg.url            # postgresql+asyncpg://postgres@127.0.0.1:PORT/leadbot
    pg.stop()               # an outage: fast shutdown, every connection dropped
    pg.start()              # back again, same port, same data
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path


def _bindir() -> Path | None:
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).resolve().parent  # /usr/local/bin/pg_ctl is often a lone symlink into the real bindir
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"),
        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0,
    )
    return Path(candidates[-1]).parent if candidates else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PrivatePostgresUnavailable(RuntimeError):
    pass


class PrivatePostgres:
    def __init__(self, workdir: Path, database: str = "leadbot"):
        self.bindir = _bindir()
        if self.bindir is None:
            raise PrivatePostgresUnavailable("no PostgreSQL server binaries (pg_ctl) found")
        self.workdir = workdir
        self.data = workdir / "data"
        self.sockets = workdir / "sockets"
        self.log = workdir / "postgres.log"
        self.port = free_port()
        self.database = database
        self.as_user: str | None = None
        if os.geteuid() == 0:
            try:
                pwd.getpwnam("postgres")
            except KeyError as exc:
                raise PrivatePostgresUnavailable(
                    "running as root and there is no 'postgres' user to run the server as"
                ) from exc
            self.as_user = "postgres"

    @classmethod
    def in_tmp(cls, database: str = "leadbot") -> PrivatePostgres:
        """In a fresh directory under the system temp dir, which the server's user can reach."""
        return cls(Path(tempfile.mkdtemp(prefix="leadbot-pg-")), database)

    @property
    def url(self) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{self.database}"

    def _run(self, *args: str, check: bool = True, timeout: float = 60) -> subprocess.CompletedProcess:
        cmd = [str(self.bindir / args[0]), *args[1:]]
        if self.as_user:
            cmd = ["runuser", "-u", self.as_user, "--", *cmd]
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        if check and result.returncode != 0:
            tail = self.log.read_text()[-2000:] if self.log.exists() else ""
            raise PrivatePostgresUnavailable(
                f"{' '.join(args[:2])} failed ({result.returncode}): {result.stderr[-2000:]} {tail}"
            )
        return result

    def init(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.sockets.mkdir(exist_ok=True)
        if self.as_user:
            entry = pwd.getpwnam(self.as_user)
            # (the work directory must be reachable by that user: PrivatePostgres.in_tmp makes one that is)
            os.chown(self.workdir, entry.pw_uid, entry.pw_gid)
            os.chown(self.sockets, entry.pw_uid, entry.pw_gid)
        self._run(
            "initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C"
        )
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.write(
                f"\nport = {self.port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{self.sockets}'\n"
                "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\nmax_connections = 100\n"
            )

    def start(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60", "start")

    def stop(self, mode: str = "fast") -> None:
        """fast: the way a database restart or failover looks to clients (connections terminated)."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")

    def running(self) -> bool:
        return self._run("pg_ctl", "-D", str(self.data), "status", check=False).returncode == 0

    def create_database(self) -> None:
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", self.database)

    def destroy(self) -> None:
        if self.data.exists() and self.running():
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop", check=False)
        shutil.rmtree(self.workdir, ignore_errors=True)
