"""`leadbot nudge list | preview | send-due`: weekly nudges for admins."""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, datetime

from bot.cli.common import report_content_errors, settings_or_exit, setup_logging


def register(sub) -> None:
    p = sub.add_parser("nudge", help="weekly channel nudges: list subscriptions, preview, send what is due")
    nsub = p.add_subparsers(dest="nudge_command", metavar="ACTION")
    ls = nsub.add_parser("list", help="every subscribed channel, its schedule and when its next nudge is due")
    ls.set_defaults(run=run, action="list")
    pv = nsub.add_parser("preview", help="show the nudge that would go out")
    pv.add_argument("--channel", help="a channel id: show that channel's rotation (default: a new channel's)")
    pv.add_argument(
        "--week", type=int, default=0, metavar="N", help="N nudges ahead of the next one (default 0: the next one)"
    )
    pv.set_defaults(run=run, action="preview")
    sd = nsub.add_parser(
        "send-due",
        help="send every nudge due at or before now (or --at) and not yet sent; safe to run anywhere, any time",
    )
    sd.add_argument("--at", help="an ISO-8601 instant to act as now, e.g. 2025-04-07T09:00:00+01:00 (default: now)")
    sd.set_defaults(run=run, action="send-due")
    p.set_defaults(run=lambda args: (p.print_help(), 2)[1])


def _instant(text: str | None) -> datetime:
    if not text:
        return datetime.now(UTC)
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is None:
        raise ValueError("give a timezone, e.g. 2025-04-07T09:00:00+01:00 or ...Z")
    return value.astimezone(UTC)


def run(args) -> int:
    settings = settings_or_exit()
    setup_logging(settings)
    at = None
    if args.action == "send-due":
        try:
            at = _instant(args.at)
        except ValueError as exc:
            print(f"leadbot: --at: {exc}", file=sys.stderr)
            return 2
    if args.action == "preview" and args.week < 0:
        print("leadbot: --week must be 0 or more", file=sys.stderr)
        return 2
    return asyncio.run(_run(settings, args, at))


async def _run(settings, args, at) -> int:
    import aiohttp

    from bot.messengers import build_messengers
    from bot.nudges.fanout import NudgeSender
    from bot.services import build_services
    from bot.slack.client import TIMEOUT_SECONDS as SLACK_TIMEOUT
    from dialogs.content_loader import ContentInvalid
    from dialogs.store import StoreUnavailable

    try:
        services = await build_services(settings)
    except ContentInvalid as exc:
        report_content_errors(exc)
        return 1
    except StoreUnavailable:
        print("leadbot: cannot reach the database at DATABASE_URL", file=sys.stderr)
        return 1
    try:
        if args.action == "send-due":
            async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=SLACK_TIMEOUT)) as session:
                messengers = build_messengers(services, session=session)
                report = await NudgeSender(
                    services.nudge_store, services.content, min_votes=settings.poll_min_votes
                ).send_due(at, messengers)
            for line in report.lines():
                print(line)
            return 0 if report.ok else 1
        if args.action == "list":
            return await _list(services.nudges)
        return await _preview(services.nudges, args.channel, args.week)
    except StoreUnavailable:
        print("leadbot: the database stopped answering", file=sys.stderr)
        return 1
    finally:
        await services.close()


async def _list(nudges) -> int:
    from dialogs.nudges.commands import describe_schedule

    now = datetime.now(UTC)
    rows = await nudges.listing(now)
    if not rows:
        print("No channel has weekly nudges yet. Someone in a channel types 'nudge on' to start them.")
        return 0
    for sub, slot, status in rows:
        where = f"{sub.platform:6} {sub.workspace_id} {sub.channel_id}"
        if not sub.enabled:
            print(f"{where}: off")
            continue
        if sub.paused_at is not None:
            print(
                f"{where}: paused since {sub.paused_at:%Y-%m-%d} ({sub.paused_reason}); {describe_schedule(nudges.content, sub.schedule)}"
            )
            continue
        local = slot.due_at.astimezone(sub.schedule.tz)
        week = f"this week: {status}" if status else "this week: not yet"
        print(
            f"{where}: {describe_schedule(nudges.content, sub.schedule)}; next due {local:%a %Y-%m-%d %H:%M %Z} ({slot.due_at:%Y-%m-%dT%H:%MZ}); {week}"
        )
    return 0


async def _preview(nudges, channel: str | None, weeks_ahead: int) -> int:
    from bot.console.render import render
    from dialogs.nudges.render import render_nudge

    now = datetime.now(UTC)
    if channel is None:
        week, nudge = nudges.preview_for_new_channel(now, weeks_ahead)
        print(
            f"A new channel's nudge {weeks_ahead} after the next (week {week}, theme {nudge.theme}, id {nudge.id}):"
            if weeks_ahead
            else f"A new channel's first nudge (week {week}, theme {nudge.theme}, id {nudge.id}):"
        )
        print(
            render(
                render_nudge(nudges.content, nudge, week, language=nudges.default.language, min_votes=nudges.min_votes)
            )
        )
        return 0
    subs = [s for s in await nudges.store.subscriptions() if s.channel_id == channel]
    if not subs:
        print(f"leadbot: no channel {channel!r} has nudges set up", file=sys.stderr)
        return 1
    for sub in subs:
        up = await nudges.upcoming(sub.key, sub.schedule, now, weeks_ahead)
        local = up.slot.due_at.astimezone(sub.schedule.tz)
        print(
            f"{sub.platform} {sub.workspace_id} {sub.channel_id}: week {up.slot.week}, due {local:%a %Y-%m-%d %H:%M %Z}, theme {up.nudge.theme}, id {up.nudge.id}"
        )
        print(
            render(
                render_nudge(
                    nudges.content, up.nudge, up.slot.week, language=sub.schedule.language, min_votes=nudges.min_votes
                )
            )
        )
    return 0
