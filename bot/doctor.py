"""`leadbot doctor`: every check an administrator wants when something is wrong, one line each.

Each check gives `Finding`s: ok, a note (worth knowing, nothing broken), or a
problem with its fix. Network checks have short time-outs, so the whole run
takes seconds even when everything is unreachable. Nothing is changed: the
database is not migrated, no message is sent.
"""

from __future__ import annotations

import asyncio
import json
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.findings import Finding, from_setup_error, note, ok, problem
from bot.settings import Settings
from bot.setup_errors import SetupError

NETWORK_TIMEOUT = 5.0  # seconds for each call to Slack, Microsoft or the database
OVERDUE = timedelta(minutes=10)  # a due nudge not claimed by then means no scheduler is running


# --- content and model ----------------------------------------------------------------------


def check_content(settings: Settings):
    from dialogs.content_loader import ContentInvalid, load_content

    try:
        content = load_content(settings.content_dir)
    except ContentInvalid as exc:
        first = exc.errors[0]
        more = f" (and {len(exc.errors) - 1} more)" if len(exc.errors) > 1 else ""
        return None, [
            problem(
                "content", f"{first}{more}", "run leadbot content check to list every error, then correct the files"
            )
        ]
    where = "LEADBOT_CONTENT_DIR" if settings.content_dir else "the packaged content"
    return content, [
        ok(
            "content",
            f"{where} ({content.directory}): {len(content.principles)} principles, {len(content.nudges)} nudges, {len(content.training)} training examples",
        )
    ]


def check_model(settings: Settings, content) -> list[Finding]:
    from bot.fitted_model import estimate_seconds, source_of

    source, directory = source_of(settings, content)
    if source == "packaged":
        return [ok("model", f"the packaged model matches this content ({directory})")]
    if source == "cached":
        return [ok("model", f"a model fitted for this content is cached in {directory}")]
    if source == "fit":
        seconds = round(estimate_seconds(settings.cache_dir, len(content.training)))
        return [
            note(
                "model",
                f"no packaged or cached model matches this content: the first start fits one (about {seconds} s)",
                "run leadbot model build where leadbot is installed (the Dockerfile does) to ship one",
            )
        ]
    return [
        note(
            "model",
            "cannot tell whether a fitted model matches this content (the diagnosis code names its cache differently)",
        )
    ]


# --- database -------------------------------------------------------------------------------


async def check_database(settings: Settings) -> tuple[object | None, list[Finding]]:
    """(an engine for later checks, or None; findings). Connects, reads the migration revision, changes nothing."""
    from sqlalchemy import inspect

    from bot.storage.database_url import explain_failure, location
    from bot.storage.db import make_engine
    from bot.storage.migrate import MIGRATIONS

    try:
        engine = make_engine(settings.database_url)
    except SetupError as exc:
        return None, [from_setup_error("database", exc)]
    if engine.dialect.name == "sqlite" and engine.url.database and not Path(engine.url.database).exists():
        await engine.dispose()  # connecting would create the file: say so instead
        folder = Path(engine.url.database).resolve().parent
        if not folder.is_dir():
            return None, [
                problem(
                    "database",
                    f"the folder for the SQLite file {engine.url.database} does not exist",
                    f"create {folder}, or point DATABASE_URL elsewhere",
                )
            ]
        return None, [
            note("database", f"no SQLite file at {engine.url.database} yet: leadbot creates it when it first starts")
        ]

    def revisions(connection) -> tuple[set[str], bool]:
        from alembic.runtime.migration import MigrationContext

        if not inspect(connection).has_table("alembic_version"):
            return set(), False
        return set(MigrationContext.configure(connection).get_current_heads()), True

    try:
        async with asyncio.timeout(NETWORK_TIMEOUT):
            async with engine.connect() as conn:
                current, exists = await conn.run_sync(revisions)
    except Exception as exc:
        await engine.dispose()
        explained = explain_failure(exc, settings.database_url)
        if explained is not None:
            return None, [from_setup_error("database", explained)]
        why = "no answer within 5 s" if isinstance(exc, TimeoutError) else f"{type(exc).__name__}"
        return None, [
            problem(
                "database",
                f"cannot reach the database at DATABASE_URL ({location(settings.database_url)}): {why}",
                "check that it is running and reachable from here (host, port, firewall)",
            )
        ]
    findings = [ok("database", f"answers at {location(settings.database_url)}")]
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    heads = set(ScriptDirectory.from_config(cfg).get_heads())
    if not exists:
        findings.append(note("migrations", "the database is empty: leadbot creates its tables when it first starts"))
        return engine, findings
    if current == heads:
        findings.append(ok("migrations", f"at {', '.join(sorted(current))}, the latest"))
    elif current - heads:
        findings.append(
            problem(
                "migrations",
                f"the database is at {', '.join(sorted(current))}, which this leadbot does not know",
                "run the leadbot version that migrated it, or a newer one",
            )
        )
        return None, findings
    else:
        findings.append(
            note(
                "migrations",
                f"at {', '.join(sorted(current)) or 'none'}; leadbot serve migrates to {', '.join(sorted(heads))} when it starts",
            )
        )
    return engine, findings


async def check_scheduler(engine, now: datetime | None = None) -> list[Finding]:
    """Is anything sending the weekly nudges? A channel whose nudge was due over OVERDUE ago with nothing
    recorded for its week means neither `leadbot serve` nor a `nudge send-due` job is running."""
    from sqlalchemy import func, inspect, select

    from bot.storage.tables import nudge_deliveries, nudge_subscriptions
    from dialogs.nudges.schedule import Schedule, current_week, slot_at

    now = now or datetime.now(UTC)
    try:
        async with asyncio.timeout(NETWORK_TIMEOUT):
            async with engine.connect() as conn:
                if not await conn.run_sync(lambda c: inspect(c).has_table("nudge_subscriptions")):
                    return []
                subs = (
                    await conn.execute(
                        select(nudge_subscriptions).where(
                            nudge_subscriptions.c.enabled.is_(True), nudge_subscriptions.c.paused_at.is_(None)
                        )
                    )
                ).all()
                last = (await conn.execute(select(func.max(nudge_deliveries.c.updated_at)))).scalar()
                weeks = {
                    (r.platform, r.workspace_id, r.channel_id, r.week)
                    for r in (
                        await conn.execute(
                            select(
                                nudge_deliveries.c.platform,
                                nudge_deliveries.c.workspace_id,
                                nudge_deliveries.c.channel_id,
                                nudge_deliveries.c.week,
                            )
                        )
                    ).all()
                }
    except Exception as exc:
        return [problem("nudges", f"cannot read the nudge tables ({type(exc).__name__})")]
    if not subs:
        return [ok("nudges", "no channel has weekly nudges turned on")]
    overdue = []
    for row in subs:
        schedule = Schedule(weekday=row.weekday, local_time=row.local_time, timezone=row.timezone, region=row.region)
        slot = slot_at(schedule, now)
        turned_on = (
            row.turned_on_at.replace(tzinfo=UTC)
            if row.turned_on_at and row.turned_on_at.tzinfo is None
            else row.turned_on_at
        )
        if slot.due_at is None or turned_on is None or turned_on > slot.due_at:
            continue
        if (
            slot.due_at + OVERDUE < now < slot.day_ends_at
            and (row.platform, row.workspace_id, row.channel_id, current_week(schedule, now)) not in weeks
        ):
            overdue.append(row)
    last_text = f"; the nudge ledger last changed {_ago(last, now)}" if last is not None else "; nothing sent yet"
    channels = "1 channel" if len(subs) == 1 else f"{len(subs)} channels"
    if overdue:
        return [
            problem(
                "nudges",
                f"{len(overdue)} of {channels}: the nudge was due over {int(OVERDUE.total_seconds() // 60)} minutes ago and nothing has tried to send it{last_text}",
                "keep leadbot serve running (its scheduler sends them every minute), or run leadbot nudge send-due from a scheduled job",
            )
        ]
    return [ok("nudges", f"{channels} with weekly nudges; none is overdue{last_text}")]


def _ago(when: datetime, now: datetime) -> str:
    when = when if when.tzinfo else when.replace(tzinfo=UTC)
    minutes = int((now - when).total_seconds() // 60)
    if minutes < 120:
        return f"{minutes} minutes ago"
    hours = minutes // 60
    return f"{hours} hours ago" if hours < 48 else f"{hours // 24} days ago"


# --- the Teams app package ------------------------------------------------------------------


def check_teams_package(settings: Settings, package: Path | None) -> list[Finding]:
    """The uploaded package must name the bot this deployment authenticates as, and link to its pages."""
    if package is None:
        return [
            note(
                "teams package",
                "not checked: give --teams-package leadbot-teams.zip to compare its ids with these settings",
            )
        ]
    try:
        with zipfile.ZipFile(package) as zf:
            manifest = json.loads(zf.read("manifest.json"))
    except FileNotFoundError:
        return [problem("teams package", f"{package} does not exist", "build it with leadbot teams package")]
    except (zipfile.BadZipFile, KeyError, ValueError, OSError):
        return [
            problem(
                "teams package",
                f"{package} is not a Teams app package (a zip with manifest.json)",
                "build it with leadbot teams package",
            )
        ]
    findings: list[Finding] = []
    bot_ids = [b.get("botId") for b in manifest.get("bots", []) if isinstance(b, dict)]
    app_id = settings.microsoft_app_id
    if not app_id:
        findings.append(
            problem(
                "teams package",
                f"the package names bot {', '.join(map(str, bot_ids)) or '(none)'} but MICROSOFT_APP_ID is not set",
                "set MICROSOFT_APP_ID to the Azure Bot's Microsoft App ID",
            )
        )
    elif bot_ids != [app_id]:
        findings.append(
            problem(
                "teams package",
                f"the package names bot {', '.join(map(str, bot_ids)) or '(none)'}, but MICROSOFT_APP_ID is {app_id}",
                f"rebuild it: leadbot teams package --app-id {app_id} --host YOUR-HOST, then upload it with a higher --version",
            )
        )
    else:
        findings.append(
            ok("teams package", f"botId matches MICROSOFT_APP_ID ({app_id}); version {manifest.get('version')}")
        )
    developer = manifest.get("developer", {}) if isinstance(manifest.get("developer"), dict) else {}
    for key, setting, path in (
        ("privacyUrl", settings.privacy_url, "/privacy"),
        ("termsOfUseUrl", settings.terms_url, "/terms"),
    ):
        link = str(developer.get(key) or "")
        if "leadbot.invalid" in link:
            findings.append(
                problem(
                    "teams package",
                    f"{key} points at the placeholder {link}",
                    "rebuild it with --host YOUR-HOST (or the link options)",
                )
            )
        elif setting and link != setting:
            findings.append(
                note(
                    "teams package",
                    f"{key} is {link}, not the {setting} leadbot's {path} sends people to",
                    "rebuild it so both agree",
                )
            )
    return findings


# --- running them all -----------------------------------------------------------------------


async def run_checks(settings: Settings, teams_package: Path | None, socket_mode: bool = False) -> list[Finding]:
    from bot.slack.health import slack_checks
    from bot.teams.health import teams_checks

    findings: list[Finding] = [ok("settings", "read from the environment and .env")]
    content, found = check_content(settings)
    findings += found
    if content is not None:
        findings += check_model(settings, content)
    engine, found = await check_database(settings)
    findings += found
    try:
        findings += await slack_checks(settings, engine, socket_mode, NETWORK_TIMEOUT)
        findings += await teams_checks(settings, NETWORK_TIMEOUT)
        findings += check_teams_package(settings, teams_package)
        if engine is not None:
            findings += await check_scheduler(engine)
    finally:
        if engine is not None:
            await engine.dispose()
    return findings
