"""``sources`` and ``articles``: what is watched and what was stored."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from ingest.cli.common import (
    EXIT_ERROR,
    app,
    common_options,
    handle_errors,
    json_line,
    print_jsonl,
    print_table,
)
from ingest.cli.group import main
from ingest.models import ArticleRow, SourceState, to_iso
from ingest.store.stories import StorySummary


def source_json(s: SourceState) -> dict[str, Any]:
    from ingest.secrets import mask_url

    return {
        "name": s.name,
        # Credentials in a feed URL (user:pass@, ?token=) are masked: this output is shared.
        "url": mask_url(s.url, paths=False),
        "status": s.status.value,
        "last_checked": to_iso(s.last_checked),
        "next_check": to_iso(s.next_check),
        "failures": s.failures,
        "last_error": s.last_error,
        "entries": s.entries,
        "enabled": s.enabled,
        "last_error_kind": s.last_error_kind,
        "last_status": s.last_status,
        "last_success": to_iso(s.last_success),
        "interval": s.interval,
        "adaptive_interval": s.adaptive_interval,
        "tags": list(s.tags),
        "site_url": mask_url(s.site_url, paths=False) if s.site_url else None,
    }


@main.group(invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="JSON Lines, one source per line.")
@common_options
@click.pass_context
@handle_errors
def sources(click_ctx: click.Context, as_json: bool) -> None:
    """List sources with their schedule state (status, last/next check, failures, errors).

    \b
    Example:
        ingest sources
        ingest sources --json | jq 'select(.status == "failing")'
        ingest sources import feeds.opml
    """
    if click_ctx.invoked_subcommand:
        return
    rows = app().existing_store.list_sources()
    if as_json:
        print_jsonl(source_json(s) for s in rows)
        return
    print_table(
        ["name", "status", "entries", "failures", "last checked", "next check", "last error"],
        [
            [
                s.name,
                s.status.value,
                str(s.entries),
                str(s.failures),
                to_iso(s.last_checked) or "-",
                to_iso(s.next_check) or "now",
                (s.last_error or "")[:60],
            ]
            for s in rows
        ],
    )


@sources.command("import")
@click.argument("opml_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--tag", "tags", multiple=True, help="Tag to add to every imported source.")
@common_options
@handle_errors
def sources_import(opml_file: Path, tags: tuple[str, ...]) -> None:
    """Add the feeds of an OPML file (the format every feed reader exports).

    Feeds already known by name or URL are skipped, so importing twice adds nothing. An
    outline whose xmlUrl is not an http(s) URL is skipped and listed with its line; the good
    ones are still added, and the exit code is then 1. Each feed's htmlUrl is kept (site_url
    in `ingest sources --json`).

    \b
    Example:
        ingest sources import ~/Downloads/feedly.opml --tag imported
    """
    from ingest.feeds.opml import read_opml
    from ingest.store import SourceSpec

    try:
        data = opml_file.read_bytes()
    except OSError as exc:
        click.echo(f"ingest: cannot read {opml_file}: {exc.strerror}", err=True)
        sys.exit(EXIT_ERROR)
    found, problems = read_opml(data, file=str(opml_file))
    from ingest.secrets import mask_url

    store = app().store
    added = 0
    specs = [
        SourceSpec(
            name=item.name,
            url=item.url,
            tags=(*item.tags, *tags),
            origin="opml",
            site_url=item.html_url,
        )
        for item in found
    ]
    # A transaction per thousand outlines, and a progress bar when stderr is a terminal.
    with click.progressbar(
        length=len(specs),
        label="importing",
        show_pos=True,
        file=sys.stderr,
        hidden=not sys.stderr.isatty(),
    ) as bar:
        for item, was_added in zip(found, store.add_sources(specs), strict=True):
            bar.update(1)
            if was_added:
                added += 1
                click.echo(f"added {item.name} <{mask_url(item.url)}>")
    for problem in problems:
        click.echo(f"ingest: sources import: skipped {problem}", err=True)
    skipped = f", {len(problems)} skipped" if problems else ""
    click.echo(f"{added} added, {len(found) - added} already known{skipped} ({opml_file})")
    if problems:
        sys.exit(EXIT_ERROR)


@sources.command("enable")
@click.argument("name")
@common_options
@handle_errors
def sources_enable(name: str) -> None:
    """Put a disabled source (410 Gone, or switched off) back on the schedule, due now.

    \b
    Example:
        ingest sources enable "TechNode"
    """
    _set_enabled(name, enabled=True)


@sources.command("disable")
@click.argument("name")
@common_options
@handle_errors
def sources_disable(name: str) -> None:
    """Stop polling a source; its entries and articles are kept.

    \b
    Example:
        ingest sources disable "TechNode"
    """
    _set_enabled(name, enabled=False)


def _set_enabled(name: str, *, enabled: bool) -> None:
    if not app().existing_store.set_source_enabled(name, enabled):
        click.echo(f"ingest: no source named {name!r}", err=True)
        sys.exit(EXIT_ERROR)
    click.echo(f"{'enabled' if enabled else 'disabled'} {name}")


def article_json(a: ArticleRow, *, with_text: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": a.id,
        "url": a.url,
        "canonical_url": a.canonical_url,
        "title": a.title,
        "published": to_iso(a.published),
        "source": a.source,
        "fetched_at": to_iso(a.fetched_at),
        "text_length": a.text_length,
        "extraction": a.extraction,
        "duplicate_of": a.duplicate_of,
        "revision": a.revision,
        "appearances": a.appearances,
        "language": a.language,
        "author": a.author,
        "extraction_note": a.extraction_note,
        "published_source": a.published_source,
    }
    if with_text:
        out["text"] = a.text
    return out


def _print_articles(rows: list[ArticleRow], as_json: bool) -> None:
    if as_json:
        print_jsonl(article_json(a) for a in rows)
        return
    print_table(
        ["id", "fetched", "source", "dup of", "rev", "title"],
        [
            [
                str(a.id),
                to_iso(a.fetched_at) or "",
                a.source or "-",
                str(a.duplicate_of or ""),
                str(a.revision),
                (a.title or "")[:70],
            ]
            for a in rows
        ],
    )


@main.group(invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="JSON Lines, one article per line.")
@click.option("--stories", is_flag=True, help="One line per story (duplicates folded in).")
@click.option("--limit", default=50, show_default=True, help="How many, newest first.")
@click.option("--source", help="Only articles from this source.")
@common_options
@click.pass_context
@handle_errors
def articles(
    click_ctx: click.Context, as_json: bool, stories: bool, limit: int, source: str | None
) -> None:
    """List stored articles, one line per URL seen (newest first).

    \b
    Example:
        ingest articles --limit 20
        ingest articles --stories --json
        ingest articles show 42
        ingest articles search "cloud revenue"
    """
    if click_ctx.invoked_subcommand:
        return
    store = app().existing_store
    rows = store.list_articles(limit=limit, stories_only=stories, source=source)
    if stories:
        _print_stories(rows, store.story_summaries([a.id for a in rows]), as_json)
        return
    _print_articles(rows, as_json)


def _print_stories(rows: list[ArticleRow], summaries: list[StorySummary], as_json: bool) -> None:
    """One line per story: where it appeared (outlets) and when (first and last)."""
    by_id = {s.id: s for s in summaries}
    if as_json:
        out = []
        for a in rows:
            s = by_id[a.id]
            item = article_json(a)
            item.update(
                outlets=list(s.outlets),
                outlet_count=len(s.outlets),
                first_seen=to_iso(s.first_seen),
                last_seen=to_iso(s.last_seen),
                related_count=s.related,
            )
            out.append(item)
        print_jsonl(out)
        return
    print_table(
        ["id", "first", "last", "outlets", "rel", "title [outlets]"],
        [
            [
                str(s.id),
                to_iso(s.first_seen) or "",
                to_iso(s.last_seen) or "",
                str(len(s.outlets)),
                str(s.related),
                f"{(s.title or '')[:50]} [{', '.join(s.outlets)}]",
            ]
            for s in (by_id[a.id] for a in rows)
        ],
    )


@articles.command("show")
@click.argument("article_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="One JSON object with the text.")
@common_options
@handle_errors
def articles_show(article_id: int, as_json: bool) -> None:
    """Show one article: metadata, text, and the other places it appeared.

    \b
    Example:
        ingest articles show 42 --json | jq -r .text
    """
    store = app().existing_store
    article = store.get_article(article_id)
    if article is None:
        click.echo(f"ingest: no article {article_id}", err=True)
        sys.exit(EXIT_ERROR)
    story_id = article.duplicate_of or article.id
    seen = store.appearances(story_id)
    # Same event, written separately: a link to other stories, never a merge.
    related = store.related_stories(story_id)
    if as_json:
        out = article_json(article, with_text=True)
        out["appearances_list"] = [
            {"id": a.id, "url": a.url, "source": a.source, "fetched_at": to_iso(a.fetched_at)}
            for a in seen
        ]
        out["related"] = [
            {
                "id": r.id,
                "url": r.url,
                "title": r.title,
                "source": r.source,
                "shared_figures": r.shared_figures,
                "alignment": r.alignment,
                "reason": r.reason,
            }
            for r in related
        ]
        click.echo(json_line(out))
        return
    for key, value in article_json(article).items():
        click.echo(f"{key:14} {value}")
    if seen:
        click.echo(f"\nalso appeared ({len(seen)}):")
        for a in seen:
            click.echo(f"  #{a.id} {to_iso(a.fetched_at)} {a.source or '-'} {a.url}")
    if related:
        click.echo(f"\nrelated stories, same event written separately ({len(related)}):")
        for r in related:
            click.echo(f"  #{r.id} {r.source or '-'} {r.url} ({r.reason})")
    click.echo("")
    click.echo(article.text or "")


@articles.command("history")
@click.argument("article_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="JSON Lines, one revision per line.")
@common_options
@handle_errors
def articles_history(article_id: int, as_json: bool) -> None:
    """Every revision of an article, with a word-level diff against the one before.

    \b
    Example:
        ingest articles history 42
    """
    revisions = app().existing_store.history(article_id)
    if not revisions:
        click.echo(f"ingest: no article {article_id}", err=True)
        sys.exit(EXIT_ERROR)
    if as_json:
        print_jsonl(
            {
                "revision": r.revision,
                "fetched_at": to_iso(r.fetched_at),
                "text_hash": r.text_hash,
                "diff": r.diff,
                "title": r.title,
            }
            for r in revisions
        )
        return
    for r in revisions:
        click.echo(f"revision {r.revision}  {to_iso(r.fetched_at)}  {r.text_hash[:12]}")
        if r.diff:
            click.echo(r.diff)


@articles.command("search")
@click.argument("query")
@click.option("--json", "as_json", is_flag=True, help="JSON Lines, one article per line.")
@click.option("--limit", default=20, show_default=True)
@common_options
@handle_errors
def articles_search(query: str, as_json: bool, limit: int) -> None:
    """Full-text search over titles and texts (words are matched, not FTS syntax).

    \b
    Example:
        ingest articles search "Qwen parameters"
    """
    _print_articles(app().existing_store.search_articles(query, limit=limit), as_json)
