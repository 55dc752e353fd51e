# syntax=docker/dockerfile:1
# Two stages: build a wheel-only virtualenv, then copy it into a slim runtime image.
# Every step of substance is in scripts/image, which tests/test_install.py runs too (see
# docs/operations.md, "What the tests verify of the image").
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml constraints.txt README.md ./
COPY ingest ./ingest
COPY ingest_demo ./ingest_demo
COPY config ./config
COPY scripts/image ./scripts/image
# Wheel -> fresh virtualenv with the pinned versions; /etc/ingest/ingest.toml is the bundled
# config plus the container's [server] table (config/docker.toml), checked here so a broken
# combination fails the build, not the first start.
ENV PIP_NO_CACHE_DIR=1
RUN scripts/image install /opt/ingest /etc/ingest

FROM python:3.11-slim
RUN useradd --system --uid 10001 --home-dir /var/lib/ingest --create-home ingest
COPY --from=build /opt/ingest /opt/ingest
COPY --from=build /etc/ingest /etc/ingest
COPY scripts/image /opt/ingest/share/image
ENV PATH=/opt/ingest/bin:$PATH \
    INGEST_CONFIG=/etc/ingest/ingest.toml \
    INGEST_DB=/var/lib/ingest/ingest.db \
    PYTHONUNBUFFERED=1
USER ingest
WORKDIR /var/lib/ingest
# As the runtime user: check-config, extract-figures and the offline demo (127.0.0.1 only).
RUN bash /opt/ingest/share/image check
# The database lives on a volume so it survives image upgrades.
VOLUME ["/var/lib/ingest"]
# /healthz and /metrics ([server] listen in config/docker.toml).
EXPOSE 9464
# Asks /healthz at the configured [server] address: database writable, scheduler ticking, a
# recent successful poll. A config mounted without [server] listen makes the check fail loudly.
HEALTHCHECK --interval=60s --timeout=10s --start-period=60s --retries=3 \
  CMD ["python", "-m", "ingest.ops.probe"]
STOPSIGNAL SIGTERM
CMD ["ingest", "run"]
