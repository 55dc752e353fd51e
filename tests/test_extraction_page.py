"""trafilatura run fast-first, with the full cascade only for menu-like or short results."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from ingest.extract import page
from ingest.extract.page import extract_body, looks_like_menu
from ingest_demo.site import PLEDGE, QWEN, render_page

URL = "https://ledger.example/tech/alibaba-lifts-ai-infrastructure-pledge"


def test_demo_article_through_fast_mode() -> None:
    """A normal article page is extracted in fast mode, without title or related links."""
    found = extract_body(render_page("ledger", PLEDGE, [QWEN]), url=URL)
    assert found is not None and found.mode == "fast"
    assert found.title == PLEDGE.title and found.author == PLEDGE.author
    assert found.text.startswith(PLEDGE.paragraphs[0][:40]) and QWEN.title not in found.text


def test_menu_detection() -> None:
    """Many one- or two-word lines is a menu; paragraphs, or a short list, are not."""
    assert looks_like_menu("\n".join(f"Section {i}" for i in range(40)))
    assert not looks_like_menu("\n".join(f"Section {i}" for i in range(10)))
    prose = "A sentence of reporting with several words."
    assert not looks_like_menu("\n".join(prose for _ in range(40)))


def test_menu_result_falls_back_to_full_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    """When the fast result is a wall of navigation, the full cascade's text is used."""
    menu = "\n".join(f"Section {i}" for i in range(40))
    prose = "Alibaba Cloud said revenue rose 26% in the quarter, analysts wrote."
    calls: list[bool] = []

    def fake_run(tree: object, url: str, *, fast: bool) -> SimpleNamespace:
        calls.append(fast)
        return SimpleNamespace(text=menu if fast else prose, body=None)

    monkeypatch.setattr(page, "_run", fake_run)
    found = page.extract_body(b"<html><body><p>x</p></body></html>", url=URL)
    assert calls == [True, False]
    assert found is not None and found.mode == "full" and found.text == prose


ARTICLE = " ".join(["Alibaba Cloud said revenue rose 26% in the quarter, analysts wrote."] * 20)


def test_fast_result_kept_when_not_a_menu(monkeypatch: pytest.MonkeyPatch) -> None:
    """A prose result of article length from the fast mode is used without running the full
    cascade."""
    assert len(ARTICLE) >= page.SHORT_CHARS
    calls: list[bool] = []

    def fake_run(tree: object, url: str, *, fast: bool) -> SimpleNamespace:
        calls.append(fast)
        return SimpleNamespace(text=ARTICLE, body=None)

    monkeypatch.setattr(page, "_run", fake_run)
    found = page.extract_body(b"<html><body><p>x</p></body></html>", url=URL)
    assert calls == [True] and found is not None and found.mode == "fast"


LONG_PAGE = f"<html><body><p>{ARTICLE}</p></body></html>".encode()
SHORT_PAGE = b"<html><body><p>Revenue rose 26% in the quarter, it said.</p></body></html>"


@pytest.mark.parametrize(
    ("full_text", "mode"),
    [(ARTICLE, "full"), ("Revenue rose.", "fast"), ("", "fast")],
)
def test_short_fast_result_checked_against_the_cascade(
    monkeypatch: pytest.MonkeyPatch, full_text: str, mode: str
) -> None:
    """A fast result shorter than SHORT_CHARS, on a page whose paragraphs hold at least twice
    as much text, runs the full cascade too, whose text is used only when it is longer (the
    fast extractor missed part of the article); otherwise the fast text stands. Modes "fast"
    and "full" run only that mode."""
    short = "Revenue rose 26% in the quarter."
    calls: list[bool] = []

    def fake_run(tree: object, url: str, *, fast: bool) -> SimpleNamespace:
        calls.append(fast)
        return SimpleNamespace(text=short if fast else full_text, body=None)

    monkeypatch.setattr(page, "_run", fake_run)
    found = page.extract_body(LONG_PAGE, url=URL)
    assert calls == [True, False]
    assert found is not None and found.mode == mode
    assert found.text == (full_text if mode == "full" else short)
    calls.clear()
    assert page.extract_body(LONG_PAGE, url=URL, mode="fast")
    assert page.extract_body(LONG_PAGE, url=URL, mode="full")
    assert calls == [True, False]


def test_short_result_of_a_short_page_skips_the_cascade(monkeypatch: pytest.MonkeyPatch) -> None:
    """A short fast result on a page with little more paragraph text is the article: the
    cascade is not run."""
    calls: list[bool] = []

    def fake_run(tree: object, url: str, *, fast: bool) -> SimpleNamespace:
        calls.append(fast)
        return SimpleNamespace(text="Revenue rose 26% in the quarter.", body=None)

    monkeypatch.setattr(page, "_run", fake_run)
    found = page.extract_body(SHORT_PAGE, url=URL)
    assert calls == [True] and found is not None and found.mode == "fast"


def test_paragraph_chars() -> None:
    """Paragraph text is counted with whitespace collapsed, nested markup included."""
    from trafilatura.utils import load_html

    tree = load_html(b"<html><body><p>a  <b>bc</b>\n d</p><div>xyz</div><p>ef</p></body></html>")
    assert page.paragraph_chars(tree) == len("a bc d") + len("ef")


def test_not_html() -> None:
    """Bytes that are no HTML document yield None, not an exception."""
    assert extract_body(b"", url=URL) is None
