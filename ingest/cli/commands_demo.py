"""``demo``: a whole pass over a sample site served on 127.0.0.1, no network needed."""

from __future__ import annotations

import tempfile
from pathlib import Path

import click

from ingest.cli import main
from ingest.cli.common import common_options, handle_errors, print_table
from ingest.models import to_iso


def demo_config(feeds: dict[str, str], db: Path) -> str:
    sources = "".join(
        f'\n[[sources]]\nname = "{name}"\nurl = "{url}"\n' for name, url in feeds.items()
    )
    return f"""
[store]
path = "{db.as_posix()}"

[http]
allow_networks = ["127.0.0.1/32"]
per_host_min_delay = 0
total_timeout = 15
{sources}"""


@main.command()
@click.option(
    "--dir",
    "workdir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Keep the demo's config and database here (default: a temporary directory).",
)
@common_options
@handle_errors
def demo(workdir: Path | None) -> None:
    """Serve a small sample news site on 127.0.0.1 and run one pass over it, offline.

    Shows what a pass stores: articles extracted from pages with site chrome around them, a
    wire copy recognised as a duplicate, an off-topic item rejected, a missing page replaced
    by the feed's own text.

    \b
    Example:
        ingest demo
        ingest demo --dir /tmp/ingest-demo && ingest --db /tmp/ingest-demo/demo.db articles
    """
    import asyncio

    from ingest.config import load_config
    from ingest.daemon import build_services, close_services, open_store, run_pass
    from ingest.demo_site import serve_demo_site
    from ingest.loopback_server import LoopbackServer

    with tempfile.TemporaryDirectory(prefix="ingest-demo-") as tmp:
        base = workdir or Path(tmp)
        base.mkdir(parents=True, exist_ok=True)
        with LoopbackServer() as server:
            feeds = serve_demo_site(server)
            config_file = base / "demo.toml"
            config_file.write_text(demo_config(feeds, base / "demo.db"), encoding="utf-8")
            config = load_config(config_file)
            store = open_store(config, config.store.path)
            services = build_services(config, store)

            async def go() -> None:
                try:
                    await run_pass(services, only_due=False)
                finally:
                    await close_services(services)

            asyncio.run(go())
        click.echo(f"sample site served on {server.base_url}; database {config.store.path}\n")
        print_table(
            ["source", "status", "entries", "last error"],
            [[s.name, s.status.value, str(s.entries), s.last_error or ""]
             for s in store.list_sources()],
        )  # fmt: skip
        click.echo("")
        rows = store.list_articles(limit=50)
        print_table(
            ["id", "source", "extraction", "duplicate of", "chars", "title"],
            [[str(a.id), a.source or "-", a.extraction, str(a.duplicate_of or ""),
              str(a.text_length), (a.title or "")[:60]] for a in reversed(rows)],
        )  # fmt: skip
        click.echo(
            f"\n{len(rows)} articles stored at {to_iso(rows[0].fetched_at) if rows else '-'}"
        )
        store.close()
