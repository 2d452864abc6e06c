# leadbot: one process serving Slack (/slack/events), Teams (/api/messages), /healthz, /readyz and /metrics.
FROM python:3.11-slim

# PYTHONDONTWRITEBYTECODE: nothing is written at run time (the service cannot write its own code anyway);
# the bytecode compiled at build time below is kept and used, which halves a warm start.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /opt/leadbot

# 1. The dependencies, in their own layer: rebuilt only when pyproject.toml or constraints.txt change,
#    never for a code edit. Versions come from constraints.txt, the file CI installs with too.
COPY pyproject.toml constraints.txt ./
RUN python -m venv /opt/leadbot/venv \
    && /opt/leadbot/venv/bin/python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > /tmp/requirements.txt \
    && /opt/leadbot/venv/bin/pip install -c constraints.txt -r /tmp/requirements.txt setuptools \
    && rm /tmp/requirements.txt
ENV PATH=/opt/leadbot/venv/bin:$PATH

# 2. leadbot itself. pip compiles it to bytecode as it installs (and kept the dependencies' bytecode above).
COPY README.md ./
COPY bot ./bot
COPY dialogs ./dialogs
COPY content ./content
RUN pip install --no-deps --no-build-isolation . && python -m compileall -q /opt/leadbot/venv/lib

# 3. The diagnosis model, fitted once here into the installed package (read-only at run time), so the
#    container never fits at start unless its content is replaced (LEADBOT_CONTENT_DIR).
RUN leadbot content check && leadbot model build

# Never root, and a numeric uid so Kubernetes' runAsNonRoot can verify it. State lives in /data
# (mount a volume, or set DATABASE_URL to PostgreSQL); a model refitted for mounted content is cached in $HOME.
RUN groupadd --system --gid 10001 leadbot \
    && useradd --system --uid 10001 --gid 10001 --create-home --home-dir /home/leadbot leadbot \
    && mkdir -p /data && chown 10001:10001 /data
USER 10001:10001
ENV DATABASE_URL=sqlite+aiosqlite:////data/leadbot.db \
    LEADBOT_CACHE_DIR=/home/leadbot/.cache/leadbot

EXPOSE 3978
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:3978/healthz', timeout=4)" || exit 1
CMD ["leadbot", "serve", "--port", "3978"]
