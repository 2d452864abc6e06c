"""What can be wrong with DATABASE_URL, in the words of the setting rather than the driver's.

`check` runs when settings are read: an address SQLAlchemy cannot parse, or one
naming a driver leadbot does not use (`postgresql://` means psycopg to
SQLAlchemy, which is not installed), is refused with the address leadbot needs.
`explain_failure` turns what the database says on first contact (no such
database, no such role, a folder that is not there) into a `SetupError`.
Passwords are never repeated back.
"""

from __future__ import annotations

import os
import re

from bot.setup_errors import SetupError

SQLITE = "sqlite+aiosqlite"
POSTGRESQL = "postgresql+asyncpg"
SUPPORTED = (SQLITE, POSTGRESQL)
EXAMPLES = "sqlite+aiosqlite:///./leadbot.db or postgresql+asyncpg://USER:PASSWORD@HOST:5432/DATABASE"
# The async driver each database needs, for every way people commonly spell that database.
WANTS = {
    "postgresql": POSTGRESQL,
    "postgres": POSTGRESQL,
    "psycopg": POSTGRESQL,
    "psycopg2": POSTGRESQL,
    "pg8000": POSTGRESQL,
    "sqlite": SQLITE,
    "pysqlite": SQLITE,
}
# The Python package behind each driver, for "not installed".
PACKAGES = {"aiosqlite": "aiosqlite", "asyncpg": "asyncpg"}


# The scheme as SQLAlchemy reads it (`name` or `name+driver`). Parsed here rather than with SQLAlchemy's
# make_url, so that reading settings does not import SQLAlchemy (half a second) in commands that need no database.
SCHEME = re.compile(r"^(?P<backend>[\w]+)(?:\+(?P<driver>[\w]+))?://(?P<rest>.*)$", re.DOTALL)
PASSWORD = re.compile(r"^(?P<user>[^/@:]*):[^/@]*@")


def without_password(rest: str) -> str:
    return PASSWORD.sub(lambda m: f"{m['user']}:***@", rest)


def check(raw: str) -> str:
    """`raw` if leadbot can use it; otherwise ValueError saying what to write instead."""
    match = SCHEME.match(raw.strip())
    if not match:
        raise ValueError(f"is not a database address; write one like {EXAMPLES}")
    scheme = match["backend"] + (f"+{match['driver']}" if match["driver"] else "")
    if scheme in SUPPORTED:
        return raw.strip()
    wanted = WANTS.get(match["backend"]) or WANTS.get(match["driver"] or "")
    if wanted is not None:
        raise ValueError(
            f"{scheme}:// needs leadbot's async driver: write {wanted}://{without_password(match['rest'])}"
        )
    raise ValueError(f"leadbot works with SQLite and PostgreSQL, not {scheme}; write {EXAMPLES}")


def location(raw: str) -> str:
    """Where DATABASE_URL points, for messages: host:port or the SQLite file, never the password."""
    from sqlalchemy.engine import make_url

    try:
        url = make_url(raw)
    except Exception:
        return "an address that cannot be read"
    if url.get_backend_name() == "sqlite":
        return url.database or "an in-memory SQLite database"
    return f"{url.host or 'localhost'}:{url.port or 5432}"


def sqlite_folder_problem(raw: str) -> SetupError | None:
    """A SQLite file whose folder is missing or read-only, found before connecting (a failed connect
    leaves aiosqlite's worker thread to print a traceback as the process exits)."""
    from pathlib import Path

    from sqlalchemy.engine import make_url

    url = make_url(raw)
    if (
        url.get_backend_name() != "sqlite"
        or not url.database
        or url.database == ":memory:"
        or url.database.startswith("file:")
    ):
        return None
    path = Path(url.database)
    folder = path.resolve().parent
    if path.exists() or (folder.is_dir() and os.access(folder, os.W_OK)):
        return None
    return SetupError(
        f"DATABASE_URL: cannot create the SQLite file {url.database!r}: its folder {'is not writable' if folder.is_dir() else 'does not exist'}",
        "fix: create the folder (writable by leadbot), or point DATABASE_URL elsewhere (sqlite+aiosqlite:////data/leadbot.db: four slashes for an absolute path)",
    )


def _chain(exc: BaseException):
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def missing_driver(exc: ImportError, raw: str) -> SetupError:
    module = (exc.name or "").split(".")[0]
    package = PACKAGES.get(module, module or "the driver")
    return SetupError(
        f"DATABASE_URL: the database driver {package} is not installed in this Python environment",
        f"fix: reinstall leadbot (pip install -e . or pip install leadbot), or pip install {package}",
    )


def explain_failure(exc: BaseException, raw: str) -> SetupError | None:
    """A SetupError for a database that answered "no" in a way only the settings can fix; None otherwise.

    "Not reachable" (refused, timed out) is not one of these: the database may simply not be up yet.
    """
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        url = make_url(raw)
    except ArgumentError:
        return SetupError(
            "DATABASE_URL is not a database address SQLAlchemy can read", f"fix: write one like {EXAMPLES}"
        )
    for link in _chain(exc):
        if isinstance(link, SetupError):
            return link
        if isinstance(link, ImportError):
            return missing_driver(link, raw)
        code = getattr(link, "sqlstate", None)
        if code == "3D000":
            return SetupError(
                f"DATABASE_URL: the database {url.database!r} does not exist on {url.host or 'localhost'}:{url.port or 5432}",
                f"fix: create it (createdb -h {url.host or 'localhost'} -U {url.username or 'postgres'} {url.database}), or correct the name in DATABASE_URL",
            )
        if code in ("28000", "28P01"):
            return SetupError(
                f"DATABASE_URL: PostgreSQL refused the user {url.username!r} (no such role, or a wrong password)",
                "fix: check the user name and password in DATABASE_URL, and that the role may log in",
            )
        if url.get_backend_name() == "sqlite" and "unable to open database file" in str(link):
            return SetupError(
                f"DATABASE_URL: cannot create or open the SQLite file {url.database!r} (its folder is missing or not writable)",
                "fix: create the folder, or point DATABASE_URL at a writable place (sqlite+aiosqlite:////data/leadbot.db has four slashes for an absolute path)",
            )
    return None
