"""[server] settings, the metrics factory, and the container files that depend on them."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from conftest import make_config

from ingest.errors import ConfigError
from ingest.ops.metrics import NULL_METRICS, metrics_for
from ingest.ops.settings import ServerSettings, parse_listen, server_settings

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("127.0.0.1:9464", ("127.0.0.1", 9464)),
        ("0.0.0.0:0", ("0.0.0.0", 0)),
        ("[::1]:9464", ("::1", 9464)),
        ("localhost:80", ("localhost", 80)),
    ],
)
def test_parse_listen(text: str, expected: tuple[str, int]) -> None:
    """host:port and [ipv6]:port parse into an address."""
    assert parse_listen(text) == expected


@pytest.mark.parametrize("text", ["9464", ":9464", "host:", "host:99999", "::1:9464", "[zz]:1"])
def test_parse_listen_rejects(text: str) -> None:
    """Anything but host:port (IPv6 in brackets, port <= 65535) is refused."""
    with pytest.raises(ValueError, match="listen"):
        parse_listen(text)


def test_server_off_by_default(tmp_path: Path) -> None:
    """No [server] table: the endpoint is off and the pipeline gets the no-op metrics."""
    config = make_config(tmp_path, [])
    assert server_settings(config) == ServerSettings()
    assert not server_settings(config).enabled
    assert metrics_for(config) is NULL_METRICS


def test_server_on_gives_prometheus_metrics(tmp_path: Path) -> None:
    """[server] listen set: enabled, and metrics_for builds Prometheus-backed metrics."""
    from ingest.ops.prometheus import PrometheusMetrics

    config = make_config(tmp_path, [], server={"listen": "127.0.0.1:9464", "max_poll_age": 3600})
    settings = server_settings(config)
    assert settings.enabled and settings.address == ("127.0.0.1", 9464)
    assert settings.max_poll_age == 3600
    assert isinstance(metrics_for(config), PrometheusMetrics)


@pytest.mark.parametrize(
    "table",
    [{"listen": "nowhere"}, {"listen": 9464}, {"port": 1}, {"max_poll_age": -1}],
)
def test_bad_server_table_is_a_config_error(tmp_path: Path, table: dict[str, object]) -> None:
    """A wrong [server] key or value is a ConfigError naming its key, found at load."""
    with pytest.raises(ConfigError, match=r"^test\.toml: server\.(listen|port|max_poll_age): "):
        make_config(tmp_path, [], server=table)


def test_two_prometheus_metrics_do_not_collide() -> None:
    """Each PrometheusMetrics has its own registry (no duplicate-series error)."""
    from ingest.ops.prometheus import PrometheusMetrics

    a, b = PrometheusMetrics(), PrometheusMetrics()
    a.poll_finished("ok", 0.1)
    assert a.registry.get_sample_value("ingest_polls_total", {"outcome": "ok"}) == 1
    assert b.registry.get_sample_value("ingest_polls_total", {"outcome": "ok"}) == 0


def test_docker_config_enables_the_endpoint() -> None:
    """config/docker.toml appended to the bundled config is valid and turns the server on."""
    from ingest.config import parse_config

    text = (ROOT / "config" / "ingest.toml").read_text(encoding="utf-8")
    text += "\n" + (ROOT / "config" / "docker.toml").read_text(encoding="utf-8")
    config = parse_config(tomllib.loads(text), file="docker", environ={})
    assert server_settings(config).address == ("0.0.0.0", 9464)


def test_dockerfile_healthcheck_and_user() -> None:
    """The image probes /healthz through ingest.ops.probe, runs as non-root, keeps a volume."""
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert 'CMD ["python", "-m", "ingest.ops.probe"]' in text
    # The steps of substance are scripts/image's, which tests/test_install.py runs: the build
    # stage installs and checks the config, the runtime stage checks again as user ingest.
    runs = [line for line in text.splitlines() if line.startswith("RUN ")]
    assert runs == [
        "RUN scripts/image install /opt/ingest /etc/ingest",
        "RUN useradd --system --uid 10001 --home-dir /var/lib/ingest --create-home ingest",
        "RUN bash /opt/ingest/share/image check",
    ]
    assert text.index("\nUSER ingest\n") < text.index("RUN bash /opt/ingest/share/image check")
    script = (ROOT / "scripts" / "image").read_text(encoding="utf-8")
    assert '"$root/config/ingest.toml" "$root/config/docker.toml" >"$etc/ingest.toml"' in script
    assert 'VOLUME ["/var/lib/ingest"]' in text
    assert "EXPOSE 9464" in text


def test_dockerfile_copies_every_shipped_package() -> None:
    """The build stage copies every top-level package the wheel ships (``ingest*`` in
    pyproject.toml): a package left out builds an image whose ``ingest demo`` check fails."""
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    packages = sorted(
        p.name for p in ROOT.glob("ingest*") if p.is_dir() and (p / "__init__.py").is_file()
    )
    assert packages == ["ingest", "ingest_demo"]
    for name in packages:
        assert f"COPY {name} ./{name}\n" in text, f"the Dockerfile does not copy {name}/"


def test_compose_file() -> None:
    """compose.yaml runs the daemon with a volume and the ops port on loopback."""
    yaml = pytest.importorskip("yaml")
    data = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    ingest = data["services"]["ingest"]
    assert "ingest-data:/var/lib/ingest" in ingest["volumes"]
    assert "127.0.0.1:9464:9464" in ingest["ports"]
    assert data["services"]["datasette"]["profiles"] == ["browse"]


def test_compose_cluster_profile() -> None:
    """compose.yaml's "cluster" profile: the official postgres image on a named volume with a
    pg_isready health check, and two `ingest worker`s of the image, each waiting for PostgreSQL
    to be healthy, pointed at it by INGEST_DATABASE_URL, given time to drain, publishing
    /healthz on loopback only and on ports of their own. (PyYAML comes with the dev extras,
    through apprise, pinned in constraints.txt.)"""
    import yaml

    text = (ROOT / "compose.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    services = data["services"]
    cluster = sorted(n for n, s in services.items() if "cluster" in s.get("profiles", []))
    assert cluster == ["postgres", "worker-1", "worker-2"]
    postgres = services["postgres"]
    assert postgres["image"].split(":")[0] == "postgres"
    volume, _, mount = postgres["volumes"][0].partition(":")
    assert volume in data["volumes"] and mount == "/var/lib/postgresql/data"
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])
    assert "ports" not in postgres, "PostgreSQL is reached over the compose network only"
    user, db = postgres["environment"]["POSTGRES_USER"], postgres["environment"]["POSTGRES_DB"]
    host_ports = []
    for name in ("worker-1", "worker-2"):
        worker = services[name]
        assert worker["image"] == services["ingest"]["image"]
        assert worker["command"] == ["ingest", "worker"]
        assert worker["depends_on"] == {"postgres": {"condition": "service_healthy"}}
        url = worker["environment"]["INGEST_DATABASE_URL"]
        assert url == f"postgresql://{user}@postgres:5432/{db}"
        assert worker["environment"]["PGPASSWORD"] == postgres["environment"]["POSTGRES_PASSWORD"]
        assert worker["stop_grace_period"]
        (port,) = worker["ports"]
        host, host_port, container_port = port.split(":")
        assert host == "127.0.0.1" and container_port == "9464"
        host_ports.append(host_port)
    assert len(set(host_ports)) == 2 and "9464" not in host_ports
    assert "ingest migrate-store" in text  # the one-off copy of the SQLite corpus, shown
