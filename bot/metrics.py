"""Prometheus metrics. One registry per app, so tests can build many apps; labels never hold personal data."""

from __future__ import annotations

from platform import python_version

from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, Info, ProcessCollector

from bot.version import version

PLATFORMS = ("slack", "teams")
# Set on the request by a platform's handler, so the request metrics say which surface it was (dm, mention, slash...).
SURFACE = web.RequestKey("surface", str)
FIRST_MOVES = ("lead", "manage", "escalate", "none")
NUDGE_OUTCOMES = ("sent", "failed", "skipped", "paused", "retry", "unknown")


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter(
            "leadbot_requests_total",
            "HTTP requests by platform, surface and status class",
            ["platform", "surface", "status"],
            registry=r,
        )
        self.latency = Histogram(
            "leadbot_request_seconds",
            "HTTP request latency by platform and surface",
            ["platform", "surface"],
            registry=r,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        )
        self.turns = Counter(
            "leadbot_turns_total", "Conversation turns by what happened", ["platform", "event"], registry=r
        )
        self.diagnoses = Counter(
            "leadbot_diagnoses_total", "Diagnoses by first move", ["platform", "first_move"], registry=r
        )
        self.escalations = Counter(
            "leadbot_escalations_total", "Messages routed to people rather than coached", ["platform"], registry=r
        )
        self.nudges = Counter(
            "leadbot_nudges_total",
            "Weekly nudges by outcome (sent, failed, skipped, paused)",
            ["platform", "outcome"],
            registry=r,
        )
        self.retries = Counter(
            "leadbot_platform_retries_total",
            "Calls to Slack or Teams retried after 429, 5xx or a network error",
            ["platform"],
            registry=r,
        )
        self.delivery_failures = Counter(
            "leadbot_delivery_failures_total",
            "Replies that could not be delivered after retries",
            ["platform"],
            registry=r,
        )
        self.ready = Gauge(
            "leadbot_ready",
            "1 when the database answered the last check (every few seconds, and on /readyz)",
            registry=r,
        )
        # Which build is running: one series, leadbot_build_info{version,python} 1.
        self.build = Info("leadbot_build", "The running leadbot's version and Python version", registry=r)
        self.build.info({"version": version(), "python": python_version()})
        # process_cpu_seconds_total, process_resident_memory_bytes, process_open_fds, process_start_time_seconds...
        ProcessCollector(registry=r)
        # Every series an operator graphs or alerts on exists from the start at 0: a rate() over a series
        # that appears only on its first failure misses that failure, and a graph shows "no data", not 0.
        for platform in PLATFORMS:
            self.escalations.labels(platform)
            # The README's suggested alert is increase(leadbot_turns_total{event="unavailable"}[5m]) > 0.
            self.turns.labels(platform, "unavailable")
            self.retries.labels(platform)
            self.delivery_failures.labels(platform)
            for move in FIRST_MOVES:
                self.diagnoses.labels(platform, move)
            for outcome in NUDGE_OUTCOMES:
                self.nudges.labels(platform, outcome)

    def record_turn(self, platform: str, event: str, first_move: str | None) -> None:
        self.turns.labels(platform, event).inc()
        if event in ("diagnosis", "quiz_result") and first_move:
            self.diagnoses.labels(platform, first_move).inc()
        if event == "escalation":
            self.escalations.labels(platform).inc()
            self.diagnoses.labels(platform, "escalate").inc()
