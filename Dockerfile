# leadbot: one process serving Slack (/slack/events), Teams (/api/messages), /healthz, /readyz and /metrics.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# Installed the same way as the README: a virtual environment and pip.
WORKDIR /opt/leadbot
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY dialogs ./dialogs
COPY content ./content
RUN python -m venv /opt/leadbot/venv && /opt/leadbot/venv/bin/pip install --no-compile . \
    && find /opt/leadbot/venv -name '__pycache__' -prune -exec rm -rf {} +
ENV PATH=/opt/leadbot/venv/bin:$PATH

# Never run as root. State lives in /data (mount a volume, or set DATABASE_URL to PostgreSQL).
RUN useradd --system --create-home --uid 10001 --home-dir /home/leadbot leadbot \
    && mkdir -p /data && chown leadbot:leadbot /data
USER leadbot
ENV DATABASE_URL=sqlite+aiosqlite:////data/leadbot.db \
    LEADBOT_CACHE_DIR=/home/leadbot/.cache/leadbot

# Fit the diagnosis model once at build time so the container starts in well under two seconds.
RUN leadbot content check && leadbot diagnose "warm the model cache" >/dev/null

EXPOSE 3978
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:3978/healthz', timeout=4)" || exit 1
CMD ["leadbot", "serve", "--port", "3978"]
