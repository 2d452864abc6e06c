"""Every start-up or settings mistake an IT team can make gets one or two plain lines, naming the setting,
what is wrong and the fix, and a non-zero exit; never a traceback (only with LEADBOT_LOG_LEVEL=DEBUG).

Each test runs the installed `leadbot` as an operator would, in an empty folder (no .env), with only the
settings it names.
"""

from __future__ import annotations

import os
import socket
import subprocess
import uuid
from pathlib import Path

import pytest

from tests.conftest import LEADBOT
from tests.fakes.private_pg import free_port

TIMEOUT = 120
APP_ID = "7d1f3c2a-5b6e-4f70-8a9b-0c1d2e3f4a5b"
TENANT = "6e1c2a3b-9f8d-4c7b-a6e5-d4c3b2a1f0e9"


def leadbot(args: list[str], tmp_path: Path, **settings: str) -> subprocess.CompletedProcess:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "MICROSOFT_", "LEADBOT_", "DATABASE_URL"))
    }
    env.update(
        LEADBOT_CACHE_DIR=os.environ["LEADBOT_CACHE_DIR"], DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'leadbot.db'}"
    )
    env.update(settings)
    workdir = tmp_path / "run"
    workdir.mkdir(exist_ok=True)
    return subprocess.run(
        [LEADBOT, *args],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        stdin=subprocess.DEVNULL,
    )


def plain(result: subprocess.CompletedProcess, code: int = 2) -> list[str]:
    """The lines an operator reads: a non-zero exit, no traceback, one or two lines."""
    assert result.returncode == code, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr and 'File "' not in result.stderr, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip() and not line.startswith("{")]
    assert 1 <= len(lines) <= 2, lines
    return lines


# --- DATABASE_URL -------------------------------------------------------------------------------


def test_a_garbage_database_url_is_named_with_what_to_write(tmp_path):
    lines = plain(leadbot(["chat"], tmp_path, DATABASE_URL="my database please"))
    assert lines[0].startswith("leadbot: setting DATABASE_URL: is not a database address")
    assert "postgresql+asyncpg://" in lines[0] and "sqlite+aiosqlite:///" in lines[0]


def test_postgresql_without_asyncpg_gets_the_address_to_write_and_no_password_back(tmp_path):
    lines = plain(leadbot(["stats"], tmp_path, DATABASE_URL="postgresql://leadbot:s3cret-pw@db.internal:5432/leadbot"))
    assert "DATABASE_URL" in lines[0]
    assert "write postgresql+asyncpg://leadbot:***@db.internal:5432/leadbot" in lines[0]
    assert "s3cret-pw" not in "\n".join(lines)


def test_a_database_that_does_not_exist_is_named_with_how_to_create_it(tmp_path, pg_database):
    missing = f"leadbot_missing_{uuid.uuid4().hex[:8]}"
    url = pg_database.rsplit("/", 1)[0] + "/" + missing
    lines = plain(leadbot(["chat"], tmp_path, DATABASE_URL=url))
    assert lines[0] == f"leadbot: DATABASE_URL: the database '{missing}' does not exist on 127.0.0.1:5432"
    assert lines[1].startswith("  fix: create it (createdb") and missing in lines[1]


def test_a_missing_database_driver_says_which_and_how_to_install_it(tmp_path):
    # An environment where asyncpg is not installed: a stand-in that fails to import, first on the path.
    shadow = tmp_path / "shadow" / "asyncpg"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text("raise ModuleNotFoundError(\"No module named 'asyncpg'\", name='asyncpg')\n")
    lines = plain(
        leadbot(
            ["stats"],
            tmp_path,
            DATABASE_URL="postgresql+asyncpg://leadbot@127.0.0.1:5432/leadbot",
            PYTHONPATH=str(shadow.parent),
        )
    )
    assert lines[0] == "leadbot: DATABASE_URL: the database driver asyncpg is not installed in this Python environment"
    assert "pip install" in lines[1]


def test_an_sqlite_file_in_a_folder_that_does_not_exist(tmp_path):
    lines = plain(
        leadbot(["chat"], tmp_path, DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'no-such-folder' / 'leadbot.db'}")
    )
    assert "cannot create the SQLite file" in lines[0] and lines[0].endswith("its folder does not exist")
    assert "create the folder" in lines[1]


def test_stats_with_the_database_down_says_so_in_two_lines(tmp_path):
    lines = plain(
        leadbot(["stats"], tmp_path, DATABASE_URL=f"postgresql+asyncpg://leadbot@127.0.0.1:{free_port()}/leadbot"),
        code=1,
    )
    assert lines[0].startswith("leadbot: cannot reach the database at DATABASE_URL (127.0.0.1:")
    assert lines[1].startswith("  fix: check that it is running")


def test_at_debug_the_traceback_is_shown_as_well(tmp_path):
    result = leadbot(
        ["chat"],
        tmp_path,
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'nowhere' / 'x.db'}",
        LEADBOT_LOG_LEVEL="DEBUG",
    )
    assert result.returncode == 2
    assert "cannot create the SQLite file" in result.stderr
    assert 'File "' in result.stderr, "with DEBUG, where it happened"


# --- the platforms ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "settings, says",
    [
        (
            {"MICROSOFT_APP_ID": APP_ID, "MICROSOFT_APP_PASSWORD": "secret", "MICROSOFT_APP_TYPE": "SingleTenant"},
            "leadbot: MICROSOFT_APP_TYPE=SingleTenant needs MICROSOFT_APP_TENANT_ID",
        ),
        ({"MICROSOFT_APP_PASSWORD": "secret"}, "leadbot: MICROSOFT_APP_PASSWORD is set but MICROSOFT_APP_ID is not"),
    ],
)
def test_microsoft_settings_that_cannot_work_stop_serve_on_the_first_line(tmp_path, settings, says):
    lines = plain(leadbot(["serve", "--host", "127.0.0.1", "--port", str(free_port())], tmp_path, **settings))
    assert lines[0].startswith(says), lines


@pytest.mark.parametrize(
    "settings, says, fix",
    [
        (
            {"SLACK_SIGNING_SECRET": "abc123"},
            "SLACK_SIGNING_SECRET is set but there is no bot token",
            "set SLACK_BOT_TOKEN",
        ),
        (
            {"SLACK_CLIENT_ID": "1234.5678", "SLACK_SIGNING_SECRET": "abc123"},
            "SLACK_CLIENT_ID is set but SLACK_CLIENT_SECRET is not",
            "set SLACK_CLIENT_SECRET too",
        ),
        ({"SLACK_BOT_TOKEN": "xoxb-1-2"}, "SLACK_SIGNING_SECRET is not set", "set SLACK_SIGNING_SECRET"),
    ],
)
def test_half_configured_slack_says_what_is_missing(tmp_path, settings, says, fix):
    lines = plain(leadbot(["serve", "--host", "127.0.0.1", "--port", str(free_port())], tmp_path, **settings))
    assert lines[0].startswith("leadbot: Slack is half set up:") and says in lines[0]
    assert lines[1].startswith("  fix: ") and fix in lines[1]


def test_a_port_in_use_is_named_with_the_fix(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        lines = plain(leadbot(["serve", "--host", "127.0.0.1", "--port", str(port)], tmp_path))
    assert lines == [
        f"leadbot: cannot listen on 127.0.0.1:{port}: the port is already in use (another leadbot, or another program)",
        f"  fix: stop what is using port {port}, or choose another with --port",
    ]


def test_a_metrics_port_in_use_names_its_setting(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        result = leadbot(
            ["serve", "--host", "127.0.0.1", "--port", str(free_port())], tmp_path, LEADBOT_METRICS_PORT=str(port)
        )
    lines = plain(result)
    assert lines[0].startswith(f"leadbot: cannot listen on 127.0.0.1:{port}: the port is already in use")
    assert "LEADBOT_METRICS_PORT" in lines[1]
