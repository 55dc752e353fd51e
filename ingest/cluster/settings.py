"""``[cluster]``: how ``ingest worker`` runs (see docs/cluster.md).

Read by the settings schema like the other stages' tables, so an unknown key or a value of the
wrong type is an error naming ``cluster.key``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ingest.errors import ConfigError
from ingest.settings_schema import InvalidSetting

if TYPE_CHECKING:
    from ingest.config import Config

# The lease owner of every source claimed for the cluster: one name for all workers, so the
# claim made by the scheduling job holds for whichever worker runs the check (and its retry).
CLUSTER_OWNER = "cluster:ingest"


@dataclass(frozen=True, slots=True)
class ClusterSettings:
    # The queue's PostgreSQL database; "" means the store's ($INGEST_DATABASE_URL, then
    # [store] url). `ingest worker --database-url` beats both.
    url: str = ""
    # Seconds between scheduling passes (claim due sources, queue deliveries, recover stalled
    # jobs). A whole number of seconds below 60 that divides 60, or a whole number of minutes.
    tick: int = 5
    # Jobs one worker process runs at once.
    concurrency: int = 8
    # A worker whose heartbeat is older than this is taken for dead and its jobs run again.
    stalled_timeout: float = 30.0
    # How often each worker writes its heartbeat (well below stalled_timeout).
    heartbeat: float = 5.0
    # Finished jobs are removed from the queue after this many hours.
    keep_jobs_hours: int = 24

    def __post_init__(self) -> None:
        if (
            self.tick < 1
            or (self.tick < 60 and 60 % self.tick)
            or (self.tick >= 60 and self.tick % 60)
        ):
            raise InvalidSetting(
                "must divide 60 (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30) or be whole "
                f"minutes, got {self.tick}",
                "tick",
            )
        if self.concurrency < 1:
            raise InvalidSetting(f"must be at least 1, got {self.concurrency}", "concurrency")
        if self.heartbeat <= 0 or self.stalled_timeout <= self.heartbeat * 2:
            raise InvalidSetting(
                "must be more than twice heartbeat "
                f"(got {self.stalled_timeout:g} and {self.heartbeat:g})",
                "stalled_timeout",
            )
        if self.keep_jobs_hours < 1:
            raise InvalidSetting(
                f"must be at least 1, got {self.keep_jobs_hours}", "keep_jobs_hours"
            )

    @property
    def cron(self) -> str:
        """The tick as a procrastinate cron line (a 6th field holds seconds)."""
        if self.tick < 60:
            return f"* * * * * */{self.tick}"
        return f"*/{self.tick // 60} * * * *"


def cluster_settings(config: Config) -> ClusterSettings:
    return config.cluster


def queue_url(config: Config, given: str | None) -> str:
    """The queue database: ``given`` (``--database-url``), else ``[cluster] url``, else the
    store's PostgreSQL database (``$INGEST_DATABASE_URL``, then ``[store] url``); a ConfigError
    when none names one."""
    from ingest.store.select import database_url

    url = given or cluster_settings(config).url or database_url(config.store.url) or ""
    if not url.startswith(("postgresql://", "postgres://")):
        raise ConfigError(
            "ingest worker needs a PostgreSQL URL (postgresql://...): set [store] url, "
            "$INGEST_DATABASE_URL, [cluster] url or --database-url",
            file=config.file,
            key="cluster.url",
        )
    return url
