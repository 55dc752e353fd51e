# syntax=docker/dockerfile:1
# Two stages: build a wheel-only virtualenv, then copy it into a slim runtime image.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml constraints.txt README.md ./
COPY ingest ./ingest
COPY config ./config
RUN python -m venv /opt/ingest \
 && /opt/ingest/bin/pip install --no-cache-dir --upgrade pip \
 && /opt/ingest/bin/pip install --no-cache-dir -c constraints.txt .

FROM python:3.11-slim
RUN useradd --system --uid 10001 --home-dir /var/lib/ingest --create-home ingest
COPY --from=build /opt/ingest /opt/ingest
COPY config /etc/ingest
ENV PATH=/opt/ingest/bin:$PATH \
    INGEST_CONFIG=/etc/ingest/ingest.toml \
    INGEST_DB=/var/lib/ingest/ingest.db \
    PYTHONUNBUFFERED=1
USER ingest
WORKDIR /var/lib/ingest
# The database lives on a volume so it survives image upgrades.
VOLUME ["/var/lib/ingest"]
# Until the /healthz endpoint lands, health is "the database opens and the schedule is readable".
HEALTHCHECK --interval=60s --timeout=10s --start-period=30s --retries=3 \
  CMD ["ingest", "status"]
STOPSIGNAL SIGTERM
CMD ["ingest", "run"]
