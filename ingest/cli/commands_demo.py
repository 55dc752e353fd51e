"""``demo``: the alerts scenario on a sample site served on 127.0.0.1, no network needed."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ingest.cli.common import common_options, handle_errors, print_table
from ingest.cli.group import main
from ingest.models import to_iso

if TYPE_CHECKING:
    from ingest_demo.receiver import Delivery

SECRET_ENV = "INGEST_DEMO_WEBHOOK_SECRET"


def demo_config(
    feeds: dict[str, str],
    db: Path,
    *,
    webhook_url: str | None = None,
    secret_env: str = SECRET_ENV,
) -> str:
    """The demo's config file; with ``webhook_url``, alerts go there signed with the secret in
    ``$secret_env``, one source is checked at a time (so the output reads the same every run)
    and stored pages may be revisited after a second."""
    sources = "".join(
        f'\n[[sources]]\nname = "{name}"\nurl = "{url}"\n' for name, url in feeds.items()
    )
    alerts = (
        f"\n[schedule]\nmax_parallel_sources = 1\nrevisit_every = 1\n\n[[alerts.webhook]]\n"
        f'name = "demo-receiver"\nurl = "{webhook_url}"\nsecret_env = "{secret_env}"\n'
        if webhook_url
        else ""
    )
    return f"""
[store]
path = "{db.as_posix()}"

[http]
allow_networks = ["127.0.0.1/32"]
per_host_min_delay = 0
total_timeout = 15
{alerts}{sources}"""


def _show(deliveries: list[Delivery], *, raw: bool) -> None:
    from ingest_demo.receiver import summary

    if not deliveries:
        click.echo("   no alert")
    for got in deliveries:
        doc = got.document
        click.echo(
            f"   received {doc['type']}  webhook-id {got.headers.get('webhook-id')}  "
            f"signature verified: {'yes' if got.verified else 'NO'}"
        )
        findings = doc["data"]["alerts"] if doc["type"] == "figure.digest" else [doc["data"]]
        for finding in findings:
            click.echo(f"     {summary(finding)}")
        if raw:
            click.echo("")
            for name, value in sorted(got.headers.items()):
                click.echo(f"     {name}: {value}")
            click.echo(f"\n     {got.body.decode()}\n")


@main.command()
@click.option(
    "--dir",
    "workdir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Keep the demo's config and database here (default: a temporary directory).",
)
@click.option("--raw", is_flag=True, help="Also print each alert's headers and body as received.")
@common_options
@handle_errors
def demo(workdir: Path | None, raw: bool) -> None:
    """Serve a small sample news site and a webhook receiver on 127.0.0.1 and run the alerts
    scenario through the real pipeline, offline.

    Four steps, each a poll (the last a revisit of stored pages) followed by one delivery
    pass: an outlet states a figure (figure.new); three outlets repeat it in other currencies
    and words and a wire copy repeats it verbatim (no alert); weeks later it changes
    (figure.changed, with the previous value and its source); the outlet corrects a figure in
    its page in place (figure.revised). The
    receiver checks every signature with a fresh whsec_ secret made for the run. Also shown:
    article text extracted from pages with site chrome around them, a wire copy recognised as
    a duplicate, an off-topic item rejected, a missing page replaced by the feed's own text.

    \b
    Example:
        ingest demo
        ingest demo --raw
        ingest demo --dir /tmp/ingest-demo && ingest --db /tmp/ingest-demo/demo.db findings
    """
    import asyncio
    import time

    from ingest.config import load_config
    from ingest.daemon import build_services, close_services, deliver_alerts, open_store, run_pass
    from ingest.findings.listing import finding_records
    from ingest.pipeline import revisit_due
    from ingest_demo.loopback import LoopbackServer
    from ingest_demo.receiver import WebhookReceiver, new_secret
    from ingest_demo.site import STEPS, AlertStory

    secret = new_secret()
    previous_secret = os.environ.get(SECRET_ENV)
    # The config names the variable; only the loader reads it (docs/alerts.md, "Secrets").
    os.environ[SECRET_ENV] = secret
    try:
        with (
            tempfile.TemporaryDirectory(prefix="ingest-demo-") as tmp,
            LoopbackServer() as server,
            WebhookReceiver(secret) as hook,
        ):
            base = workdir or Path(tmp)
            base.mkdir(parents=True, exist_ok=True)
            story = AlertStory(server)
            config_file = base / "demo.toml"
            config_file.write_text(
                demo_config(story.feeds(), base / "demo.db", webhook_url=hook.url),
                encoding="utf-8",
            )
            config = load_config(config_file)
            store = open_store(config, config.store.path)
            services = build_services(config, store)
            click.echo(
                f"sample site on {server.base_url}, webhook receiver on {hook.url}\n"
                f"database {config.store.path}\n"
            )

            async def go() -> None:
                try:
                    last = time.monotonic()
                    for n, what in enumerate(STEPS):
                        story.step(n)
                        click.echo(f"{n + 1}. {what}")
                        if n == len(STEPS) - 1:
                            # Pages are revisited once they are older than revisit_every (1 s).
                            await asyncio.sleep(max(0.0, 1.1 - (time.monotonic() - last)))
                            await revisit_due(services, limit=100)
                        else:
                            await run_pass(services, only_due=False)
                        await deliver_alerts(services)
                        last = time.monotonic()
                        got = hook.take_new()
                        _show(got, raw=raw)
                        if not got and (findings := finding_records(store, limit=1)):
                            sources = ", ".join(findings[0]["corroborating_sources"])
                            click.echo(f"   (the repeats corroborate it: {sources})")
                finally:
                    await close_services(services)

            asyncio.run(go())
            click.echo("")
            print_table(
                ["source", "status", "entries", "last error"],
                [
                    [s.name, s.status.value, str(s.entries), s.last_error or ""]
                    for s in store.list_sources()
                ],
            )
            click.echo("")
            rows = store.list_articles(limit=50)
            print_table(
                ["id", "source", "extraction", "duplicate of", "chars", "title"],
                [
                    [
                        str(a.id),
                        a.source or "-",
                        a.extraction,
                        str(a.duplicate_of or ""),
                        str(a.text_length),
                        (a.title or "")[:60],
                    ]
                    for a in reversed(rows)
                ],
            )
            click.echo(
                f"\n{len(rows)} articles stored at {to_iso(rows[0].fetched_at) if rows else '-'}"
            )
            store.close()
            if workdir is None:
                click.echo(
                    f"database {config.store.path} is deleted with its temporary directory; "
                    "keep it with --dir DIR"
                )
            else:
                click.echo(
                    f"database kept at {config.store.path}; "
                    f"look at it with: ingest --db {config.store.path} findings"
                )
    finally:
        if previous_secret is None:
            os.environ.pop(SECRET_ENV, None)
        else:
            os.environ[SECRET_ENV] = previous_secret
