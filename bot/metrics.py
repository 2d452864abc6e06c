"""Prometheus metrics. One registry per app, so tests can build many apps; labels never hold personal data."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter("leadbot_requests_total", "HTTP requests by platform, surface and status class", ["platform", "surface", "status"], registry=r)
        self.latency = Histogram(
            "leadbot_request_seconds", "HTTP request latency by platform and surface", ["platform", "surface"], registry=r,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        )
        self.turns = Counter("leadbot_turns_total", "Conversation turns by what happened", ["platform", "event"], registry=r)
        self.diagnoses = Counter("leadbot_diagnoses_total", "Diagnoses by first move", ["platform", "first_move"], registry=r)
        self.escalations = Counter("leadbot_escalations_total", "Messages routed to people rather than coached", ["platform"], registry=r)
        self.nudges = Counter("leadbot_nudges_total", "Weekly nudges by outcome (sent, failed, skipped, paused)", ["platform", "outcome"], registry=r)
        self.retries = Counter("leadbot_platform_retries_total", "Calls to Slack or Teams retried after 429, 5xx or a network error", ["platform"], registry=r)
        self.delivery_failures = Counter("leadbot_delivery_failures_total", "Replies that could not be delivered after retries", ["platform"], registry=r)
        self.ready = Gauge("leadbot_ready", "1 when the database answers", registry=r)

    def record_turn(self, platform: str, event: str, first_move: str | None) -> None:
        self.turns.labels(platform, event).inc()
        if event in ("diagnosis", "quiz_result") and first_move:
            self.diagnoses.labels(platform, first_move).inc()
        if event == "escalation":
            self.escalations.labels(platform).inc()
            self.diagnoses.labels(platform, "escalate").inc()
