"""``python -m ingest.ops.probe``: the container health check.

Reads the ``[server] listen`` address from the configuration (``$INGEST_CONFIG``) and asks
``/healthz`` there; exit 0 on 200, 1 otherwise, printing the body (Docker keeps it in
``docker inspect``). Standard library only, so the check stays cheap every interval.
"""

from __future__ import annotations

import sys
import urllib.error
import urllib.request

from ingest.errors import ConfigError

TIMEOUT_S = 8.0


def healthz_url(listen: str) -> str:
    """Where to reach an endpoint listening on ``listen`` from the same host."""
    from ingest.ops.settings import parse_listen

    host, port = parse_listen(listen)
    # A wildcard bind is reached through loopback.
    if host in ("0.0.0.0", ""):
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    return f"http://[{host}]:{port}/healthz" if ":" in host else f"http://{host}:{port}/healthz"


def probe(url: str, *, timeout: float = TIMEOUT_S) -> tuple[int, str]:
    """The status code and body of ``GET url``; (0, reason) when nothing answered."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return int(response.status), response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8", "replace")
    except (urllib.error.URLError, OSError) as exc:
        return 0, f"no answer from {url}: {exc}"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args:
        url = args[0]
    else:
        from ingest.config import load_config
        from ingest.ops.settings import server_settings

        try:
            settings = server_settings(load_config())
        except ConfigError as exc:
            print(f"configuration error: {exc}", file=sys.stderr)
            return 1
        if not settings.enabled:
            print("[server] listen is not set: no health endpoint to probe", file=sys.stderr)
            return 1
        url = healthz_url(settings.listen)
    status, body = probe(url)
    print(body.strip() or f"HTTP {status}")
    return 0 if status == 200 else 1


if __name__ == "__main__":
    sys.exit(main())
