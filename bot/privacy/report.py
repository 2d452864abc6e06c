"""`leadbot privacy report`: a DPIA and a record of processing, written from the running configuration.

Everything that depends on the deployment is read, not typed: the settings
(`bot.privacy.snapshot`), which platforms are configured, the database, the
retention and poll settings, the escalation routes in the content, what is
stored (the same rows as the README's "What is stored" and the bot's answer to
"what do you store?", from `dialogs.flows.info.stored_rows`), the tables and
what "forget me" does to each (`bot.storage.tables`), and when forget-me and
retention last ran (the audit log). What only the organisation can say is
marked TO_COMPLETE. `bot.privacy.markdown` lays it out under the ICO's DPIA
template headings, with a ROPA table.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bot.privacy.snapshot import database_kind, settings_snapshot
from bot.settings import Settings
from bot.storage.database_url import location
from bot.storage.tables import metadata
from dialogs.content_loader import Content
from dialogs.flows.info import stored_rows
from dialogs.nudges.store import LEDGER_KEPT, POLL_OPEN_WEEKS, VOTES_KEPT

TO_COMPLETE = "[for the DPO to complete]"
PLACEHOLDER = "{{"


def platforms(settings: Settings) -> list[dict[str, Any]]:
    """Each configured platform and how data flows through it."""
    out = []
    if settings.slack_configured or settings.slack_app_token is not None:
        how = (
            "Slack's OAuth install flow (tokens per workspace in leadbot's database)"
            if settings.slack_oauth
            else (
                "Socket Mode (an outgoing WebSocket to Slack)"
                if settings.slack_app_token is not None
                else "HTTPS requests from Slack, signed with the signing secret"
            )
        )
        out.append(
            {
                "platform": "Slack",
                "connection": how,
                "flow": "A manager's message goes from Slack to leadbot, which diagnoses it in its own process and posts the reply "
                "back through Slack's Web API. Nothing is sent anywhere else.",
            }
        )
    if settings.microsoft_app_id:
        out.append(
            {
                "platform": "Microsoft Teams",
                "connection": f"the Azure Bot Service (Bot Framework), app type {settings.microsoft_app_type}",
                "flow": "A manager's message goes from Teams through Microsoft's Bot Framework service to leadbot, which diagnoses it "
                "in its own process and replies through the Bot Framework connector. Nothing is sent anywhere else.",
            }
        )
    return out


def escalation_routes(content: Content) -> list[dict[str, Any]]:
    routes = {r.id: r for r in content.escalation.routes}
    return [
        {
            "topic": topic.id,
            "name": topic.name,
            "routes": [
                {"id": rid, "name": routes[rid].name, "contact_filled_in": PLACEHOLDER not in routes[rid].contact}
                for rid in topic.routes
                if rid in routes
            ],
        }
        for topic in content.escalation.topics
    ]


def tables() -> list[dict[str, Any]]:
    """Every table, what it is for, and what "forget me" does to it (declared beside the table)."""
    out = []
    for table in metadata.sorted_tables:
        info = table.info
        if info.get("forget_note"):
            forget = info["forget_note"]
        elif info.get("forget_scrubs"):
            forget = "the person's id is emptied: " + ", ".join(info["forget_scrubs"])
        elif info.get("user_column") or info.get("voter_hash_column"):
            forget = "the person's rows are deleted"
        else:
            forget = "holds nothing about a person"
        out.append({"table": table.name, "purpose": info.get("purpose", ""), "forget_me": forget})
    return out


def _when(event: dict | None) -> dict[str, Any] | None:
    if event is None:
        return None
    return {"at": event["at"], "action": event["action"], "rows": event["count"]}


def build_report(
    settings: Settings,
    content: Content,
    last_forget_me: dict | None,
    last_retention: dict | None,
    now: datetime | None = None,
    audit_readable: bool = True,
) -> dict[str, Any]:
    from bot.version import version

    return {
        "generated_at": (now or datetime.now(UTC)).isoformat(timespec="seconds"),
        "leadbot_version": version(),
        "controller": TO_COMPLETE,
        "data_protection_officer": TO_COMPLETE,
        "platforms": platforms(settings),
        "database": {"kind": database_kind(settings), "where": location(settings.database_url)},
        "processors": "none beyond the organisation's own servers: leadbot calls no AI service and downloads nothing; "
        "messages reach it through the chat platform the organisation already uses",
        "retention": {
            "conversation_state_days": settings.retention_days,
            "audit_days": settings.audit_days,
            "poll_totals_weeks": VOTES_KEPT.days // 7,
            "poll_voter_codes": f"while the poll is open ({POLL_OPEN_WEEKS + 1} weeks at most), then deleted within a day",
            "nudge_ledger_weeks": LEDGER_KEPT.days // 7,
            "delivery_receipts_days": 1,
        },
        "poll_min_votes": settings.poll_min_votes,
        "stored": [
            {"what": w, "why": y, "how_long": h}
            for w, y, h in stored_rows(content, settings.retention_days, settings.audit_days)
        ],
        "tables": tables(),
        "escalation_routes": escalation_routes(content),
        "forget_me": {
            "how": "Anyone types 'forget me' (or '/leadbot forget me' in Slack): every row about them goes from every table at once, "
            "and they are told how many. The audit log keeps a count of the run, never who.",
            "last_run": _when(last_forget_me) if audit_readable else "unknown: the database did not answer",
        },
        "retention_job": {
            "how": "leadbot serve deletes what is past its time every hour (and the nudge scheduler its own tables), "
            "noting each run in the audit log.",
            "last_run": _when(last_retention) if audit_readable else "unknown: the database did not answer",
        },
        "settings": settings_snapshot(settings),
    }
