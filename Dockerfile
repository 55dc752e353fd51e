# syntax=docker/dockerfile:1
# Two stages: build a wheel-only virtualenv, then copy it into a slim runtime image.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml constraints.txt README.md ./
COPY ingest ./ingest
COPY config ./config
# The image's configuration is the bundled one plus the container's [server] table, checked
# here so a broken combination fails the build, not the first start.
RUN python -m venv /opt/ingest \
 && /opt/ingest/bin/pip install --no-cache-dir --upgrade pip \
 && /opt/ingest/bin/pip install --no-cache-dir -c constraints.txt . \
 && cat config/docker.toml >> config/ingest.toml \
 && /opt/ingest/bin/ingest check-config --config config/ingest.toml

FROM python:3.11-slim
RUN useradd --system --uid 10001 --home-dir /var/lib/ingest --create-home ingest
COPY --from=build /opt/ingest /opt/ingest
COPY --from=build /src/config /etc/ingest
ENV PATH=/opt/ingest/bin:$PATH \
    INGEST_CONFIG=/etc/ingest/ingest.toml \
    INGEST_DB=/var/lib/ingest/ingest.db \
    PYTHONUNBUFFERED=1
USER ingest
WORKDIR /var/lib/ingest
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
