"""Tests for ingest.feeds.opml: Feedly and Miniflux exports, tags, unique names, errors and safety.

Golden files: ``tests/data/opml/<name>.opml`` has ``<name>.opml.json`` beside it. After a
deliberate change, regenerate and review:

    INGEST_REGEN_GOLDENS=1 .venv/bin/python -m pytest tests/test_opml.py -k golden
    git diff tests/data/opml/
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

import pytest

from ingest.errors import ConfigError, OpmlError
from ingest.feeds.opml import parse_opml

DATA = Path(__file__).parent / "data" / "opml"
INPUTS = sorted(DATA.glob("*.opml"))


@pytest.mark.parametrize("path", INPUTS, ids=lambda p: p.name)
def test_golden(path: Path) -> None:
    """Each exported OPML file parses to exactly the JSON stored beside it."""
    expected_path = path.with_name(path.name + ".json")
    actual = [
        dataclasses.asdict(s) | {"tags": list(s.tags)}
        for s in parse_opml(path.read_bytes(), file=path.name)
    ]
    if os.environ.get("INGEST_REGEN_GOLDENS") == "1":
        text = json.dumps(actual, indent=2, ensure_ascii=False) + "\n"
        expected_path.write_text(text, encoding="utf-8")
        pytest.skip(f"regenerated {expected_path.name}; review with git diff")
    assert actual == json.loads(expected_path.read_text(encoding="utf-8"))


def test_feedly_folders_become_tags_and_duplicates_merge() -> None:
    """Folder titles are tags; a feed in two folders (a tracking variant) is one source."""
    sources = parse_opml((DATA / "feedly.opml").read_bytes(), file="feedly.opml")
    by_name = {s.name: s for s in sources}
    assert by_name["Model Watch"].tags == ("China AI", "Markets")
    assert by_name["Model Watch"].url == "https://blog.example.org/ai/atom.xml"
    assert by_name["Example Wire: Asia Technology"].tags == ()
    assert len(sources) == 6


def test_feed_scheme_and_bad_html_url() -> None:
    """feed:// becomes http://; a non-http htmlUrl is dropped, not fatal."""
    sources = parse_opml((DATA / "feedly.opml").read_bytes(), file="feedly.opml")
    compute = next(s for s in sources if s.name == "Daily Compute")
    assert compute.url == "http://compute.example.io/feed/" and compute.html_url is None


def test_miniflux_nested_folders_category_and_unique_names() -> None:
    """Nested folders and OPML 2.0 categories both tag; equal titles get the host added."""
    sources = parse_opml((DATA / "miniflux.opml").read_bytes(), file="miniflux.opml")
    qwen = next(s for s in sources if s.name == "Qwen blog")
    assert qwen.tags == ("Research", "Labs", "Models", "Open weights", "Alibaba")
    names = [s.name for s in sources]
    assert names.count("Tech Briefing") == 1
    assert "Tech Briefing (other-briefing.example.com)" in names
    lower = next(s for s in sources if s.url == "https://briefing.example.ch/feed")
    assert lower.name == "Tech Briefing"  # found through the lower-case xmlurl attribute


def _opml(body: str) -> bytes:
    return f'<?xml version="1.0"?><opml version="2.0"><head/><body>{body}</body></opml>'.encode()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "the file is empty"),
        (b"<opml><body><outline", "not well-formed XML"),
        (b"<html><body><p>Sign in</p></body></html>", "the root element is <html>, not <opml>"),
        (b'<rss version="2.0"><channel/></rss>', "the root element is <rss>, not <opml>"),
        (b"<opml version='2.0'><head/></opml>", "no <body> element"),
        (_opml('<outline text="Empty folder"/>'), "no feeds found"),
        (
            _opml(
                '<outline text="A"><outline text="Local" xmlUrl="file:///etc/passwd"/></outline>'
            ),
            "outline 1/1 ('Local'): xmlUrl 'file:///etc/passwd' is not an http(s) URL",
        ),
        (_opml('<outline text="Rel" xmlUrl="/feed.xml"/>'), "outline 1 ('Rel')"),
    ],
)
def test_errors_name_file_and_problem(data: bytes, message: str) -> None:
    """Broken files raise OpmlError (a ConfigError) naming the file, outline and problem."""
    with pytest.raises(OpmlError) as info:
        parse_opml(data, file="subs.opml")
    assert isinstance(info.value, ConfigError)
    assert str(info.value).startswith("subs.opml: ")
    assert message in str(info.value)


_LAUGHS = '<!ENTITY l0 "lol">' + "".join(
    f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10)
)


@pytest.mark.parametrize("kind", ["laughs", "file-entity", "external-dtd"])
def test_entities_are_refused_not_expanded_or_read(kind: str, tmp_path: Path) -> None:
    """Entity expansion and external entities make the file fail; an external DTD is unread."""
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE")
    dtd = tmp_path / "evil.dtd"
    dtd.write_text(f'<!ENTITY secret SYSTEM "file://{secret}">')
    doctype = {
        "laughs": f"<!DOCTYPE opml [{_LAUGHS}]>",
        "file-entity": f'<!DOCTYPE opml [<!ENTITY l9 SYSTEM "file://{secret}">]>',
        "external-dtd": f'<!DOCTYPE opml SYSTEM "file://{dtd}">',
    }[kind]
    reference = "&secret;" if kind == "external-dtd" else "&l9;"
    data = f"""<?xml version="1.0"?>{doctype}
<opml version="2.0"><head/><body>
<outline text="{reference}" xmlUrl="https://a.example/feed"/>
</body></opml>""".encode()
    if kind == "external-dtd":
        # XML allows an undeclared entity when an external subset exists; lxml leaves it
        # unresolved and the DTD unread, so the feed imports without the title.
        sources = parse_opml(data, file="evil.opml")
        assert [(s.name, s.url) for s in sources] == [("a.example", "https://a.example/feed")]
        assert "TOP-SECRET-VALUE" not in repr(sources)
        return
    with pytest.raises(OpmlError) as info:
        parse_opml(data, file="evil.opml")
    assert "not well-formed XML" in str(info.value)
    assert "TOP-SECRET-VALUE" not in str(info.value) and "lollol" not in str(info.value)
