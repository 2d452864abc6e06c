"""`leadbot audit [--since DATE] [--json]`: the audit log, for information governance. No text, ever."""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import UTC, date, datetime, time

from bot.cli.common import settings_or_exit
from dialogs.dialog_result import SAID_NOT_SENSITIVE


def register(sub) -> None:
    p = sub.add_parser(
        "audit",
        help="the audit log: who changed a channel's nudges, settings and content changes, forget-me and retention runs, escalations per topic per day and how many were said not to be sensitive",
    )
    p.add_argument("--since", metavar="DATE", help="only from this date (YYYY-MM-DD) or instant (ISO-8601) on")
    p.add_argument("--json", action="store_true", help="one JSON object, for scripts")
    p.set_defaults(run=run)


def parse_since(text: str) -> datetime:
    """A date means from its start (UTC); an instant without a timezone is taken as UTC."""
    try:
        day = date.fromisoformat(text)
        return datetime.combine(day, time(0), tzinfo=UTC)
    except ValueError:
        pass
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def run(args) -> int:
    since = None
    if args.since:
        try:
            since = parse_since(args.since)
        except ValueError:
            print(
                f"leadbot audit: --since {args.since[:40]!r} is not a date; write one like 2026-01-31 or 2026-01-31T09:00:00Z",
                file=sys.stderr,
            )
            return 2
    return asyncio.run(_audit(settings_or_exit(), since, args.json))


async def _read(settings, since: datetime | None):
    from bot.storage.audit import AuditLog
    from bot.storage.migrate import open_migrated

    db = await open_migrated(settings.database_url)
    try:
        log = AuditLog(db)
        return await log.events(since), await log.escalations(since.date() if since else None)
    finally:
        await db.dispose()


async def _audit(settings, since: datetime | None, as_json: bool) -> int:
    from bot.storage.database_url import location
    from dialogs.store import StoreUnavailable

    try:
        events, escalations = await _read(settings, since)
    except StoreUnavailable:
        print(
            f"leadbot: cannot reach the database at DATABASE_URL ({location(settings.database_url)})", file=sys.stderr
        )
        print("  fix: check that it is running and reachable from here, then run leadbot audit again", file=sys.stderr)
        return 1
    if as_json:
        print(json.dumps({"events": events, "escalations": escalations}, indent=2))
        return 0
    print(
        f"Audit log{' since ' + since.isoformat(timespec='seconds') if since else ''} (kept for LEADBOT_AUDIT_DAYS={settings.audit_days} days):"
    )
    if not events:
        print("  nothing recorded")
    for e in events:
        print("  " + describe(e))
    print()
    passed = [row for row in escalations if row["topic"] != SAID_NOT_SENSITIVE]
    said = [row for row in escalations if row["topic"] == SAID_NOT_SENSITIVE]
    print("Messages passed to people rather than coached, per day and topic (counts only):")
    if not passed:
        print("  none")
    for row in passed:
        print(f"  {row['day']}  {row['platform']:6} {row['topic']:28} {row['count']}")
    print()
    print("Of those, how many a manager said were not a sensitive matter, per day (counts only):")
    if not said:
        print("  none")
    for row in said:
        print(f"  {row['day']}  {row['platform']:6} {row['count']}")
    return 0


def describe(e: dict) -> str:
    where = " ".join(x for x in (e["platform"], e["workspace_id"], e["channel_id"]) if x)
    parts = [e["at"], f"{e['kind']}/{e['action']}"]
    if where:
        parts.append(where)
    if e["kind"] == "subscription":
        parts.append(
            f"by {e['actor']}"
            if e["actor"]
            else "by someone since forgotten"
            if e["action"] != "paused"
            else "by the platform"
        )
    detail = e["detail"] or {}
    if e["kind"] == "settings":
        names = detail.get("changed") or []
        parts.append(
            "changed: " + ", ".join(f"{n}={detail.get('settings', {}).get(n)}" for n in names)
            if names
            else "recorded for the first time"
        )
    elif e["kind"] == "content":
        parts.append(
            f"fingerprint {str(detail.get('fingerprint'))[:12]}"
            + (f" (was {str(detail.get('previous'))[:12]})" if detail.get("previous") else "")
        )
    elif e["kind"] == "subscription" and detail:
        parts.append(", ".join(f"{k} {v}" for k, v in detail.items()))
    elif e["kind"] in ("forget_me", "retention"):
        parts.append(
            f"{e['count']} rows" + (f" ({', '.join(f'{k} {v}' for k, v in detail.items())})" if detail else "")
        )
    return "  ".join(parts)
