"""Slack's part of `leadbot doctor`: is it set up, and do Slack's servers accept its tokens? Changes nothing."""

from __future__ import annotations

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.findings import Finding, from_setup_error, note, ok, problem
from bot.settings import Settings
from bot.slack.errors import SlackSetupError
from bot.slack.setup import check_slack

UNREACHABLE = "allow outbound HTTPS to slack.com from this host (or point SLACK_API_URL at your egress proxy)"


async def _call(call):
    """(response, None) or (None, what went wrong in a few words)."""
    try:
        return await call, None
    except SlackApiError as exc:
        return None, str(exc.response.get("error") or exc.response.status_code)
    except (TimeoutError, aiohttp.ClientError, OSError) as exc:
        return None, f"unreachable ({type(exc).__name__})"


async def slack_checks(settings: Settings, engine, socket_mode: bool, timeout: float) -> list[Finding]:
    try:
        if not check_slack(settings, socket_mode):
            return [note("slack", "not set up (no SLACK_* settings): Slack is not served")]
    except SlackSetupError as exc:
        return [from_setup_error("slack", exc)]
    findings: list[Finding] = []
    async with aiohttp.ClientSession() as session:
        client = AsyncWebClient(
            base_url=settings.slack_api_url, timeout=int(timeout), session=session, retry_handlers=[]
        )
        if settings.slack_oauth:
            _, error = await _call(client.api_test())
            if error:
                findings.append(
                    problem("slack", f"cannot reach Slack's Web API at {settings.slack_api_url}: {error}", UNREACHABLE)
                )
            else:
                findings.append(
                    ok(
                        "slack",
                        f"Slack's Web API answers at {settings.slack_api_url}; installs to many workspaces (SLACK_CLIENT_ID)",
                    )
                )
            findings += await _installations(settings, engine)
        else:
            token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else ""
            client.token = token
            response, error = await _call(client.auth_test())
            if error and error.startswith("unreachable"):
                findings.append(
                    problem("slack", f"cannot reach Slack's Web API at {settings.slack_api_url}: {error}", UNREACHABLE)
                )
            elif error:
                findings.append(
                    problem(
                        "slack",
                        f"Slack refused SLACK_BOT_TOKEN ({error})",
                        "copy the Bot User OAuth Token (xoxb-...) from the app's OAuth & Permissions page",
                    )
                )
            else:
                findings.append(
                    ok(
                        "slack",
                        f"SLACK_BOT_TOKEN works: workspace {response.get('team')} ({response.get('team_id')}), bot user {response.get('user_id')}",
                    )
                )
        if settings.slack_app_token is not None:
            _, error = await _call(client.apps_connections_open(app_token=settings.slack_app_token.get_secret_value()))
            if error:
                findings.append(
                    problem(
                        "slack",
                        f"Slack refused SLACK_APP_TOKEN for Socket Mode ({error})",
                        "create an app-level token (xapp-...) with connections:write on the app's Basic Information page",
                    )
                )
            else:
                findings.append(ok("slack", "SLACK_APP_TOKEN works for Socket Mode (leadbot serve --socket-mode)"))
    if settings.slack_signing_secret is not None:
        findings.append(
            ok(
                "slack",
                "SLACK_SIGNING_SECRET is set (Slack alone can check it: a wrong one shows as 401s on /slack/events)",
            )
        )
    else:
        findings.append(note("slack", "no SLACK_SIGNING_SECRET: /slack/events is not served, only Socket Mode"))
    return findings


async def _installations(settings: Settings, engine) -> list[Finding]:
    if engine is None:
        return []
    from sqlalchemy import func, inspect, select

    from bot.storage.tables import slack_bots

    try:
        async with engine.connect() as conn:
            if not await conn.run_sync(lambda c: inspect(c).has_table("slack_bots")):
                return []
            count = (
                await conn.execute(
                    select(func.count(func.distinct(slack_bots.c.team_id))).where(
                        slack_bots.c.client_id == settings.slack_client_id
                    )
                )
            ).scalar()
    except Exception as exc:
        return [problem("slack", f"cannot read the Slack installations ({type(exc).__name__})")]
    if not count:
        return [
            note(
                "slack",
                "no workspace has installed leadbot yet",
                "send each workspace's admin to https://YOUR-HOST/slack/install",
            )
        ]
    return [ok("slack", f"installed in {count} workspace(s)")]
