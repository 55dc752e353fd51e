"""Tests for ingest.urls: canonical URLs and the http check."""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from ingest.urls import TRACKING_PARAMS, TRACKING_PREFIXES, canonicalise_url, is_http_url


def _query_keys(url: str) -> list[str]:
    query = url.partition("?")[2]
    return [pair.partition("=")[0] for pair in query.split("&") if pair]


def _has_tracking(url: str) -> bool:
    return any(
        key.lower() in TRACKING_PARAMS or key.lower().startswith(TRACKING_PREFIXES)
        for key in _query_keys(url)
    )


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("HTTPS://WWW.Example.COM/a", "https://www.example.com/a"),
        ("http://example.com:80/a", "http://example.com/a"),
        ("https://example.com:443/a", "https://example.com/a"),
        ("https://example.com:8443/a", "https://example.com:8443/a"),
        ("http://example.com", "http://example.com/"),
        ("http://example.com?b=1", "http://example.com/?b=1"),
        ("http://example.com/a#section-2", "http://example.com/a"),
        ("http://example.com/a?b=2&a=1", "http://example.com/a?a=1&b=2"),
        ("http://example.com/a?x=2&a=1&x=1", "http://example.com/a?a=1&x=2&x=1"),
        (
            "https://news.example.com/qwen?utm_source=rss&utm_medium=feed&id=7&fbclid=abc",
            "https://news.example.com/qwen?id=7",
        ),
        ("https://example.com/a?gclid=1&mc_cid=2&mc_eid=3&ocid=4&cmpid=5", "https://example.com/a"),
        ("https://example.com/a?ref=home&smid=tw-share", "https://example.com/a"),
        (
            "https://www.alibabacloud.com/blog/x?spm=a2c65.11461447.0.0.1",
            "https://www.alibabacloud.com/blog/x",
        ),
        ("https://example.com/a?UTM_Source=x&Utm_Campaign=y", "https://example.com/a"),
        ("https://example.com/a?utm%5Fsource=x", "https://example.com/a"),
        ("https://example.com/%7euser/%2fx", "https://example.com/~user/%2Fx"),
        ("https://example.com/a b/ü", "https://example.com/a%20b/%C3%BC"),
        ("https://example.com/a/./b/../c/", "https://example.com/a/c/"),
        ("https://example.com/../../a", "https://example.com/a"),
        ("https://Bücher.example/x", "https://xn--bcher-kva.example/x"),
        ("https://example.com./a", "https://example.com/a"),
        ("  https://example.com/a\n", "https://example.com/a"),
        ("http://[2001:DB8::1]:80/a", "http://[2001:db8::1]/a"),
        ("https://example.com/a?", "https://example.com/a"),
        ("https://example.com/a?&&q=1&", "https://example.com/a?q=1"),
        ("https://example.com/search?q=a+b&q2=%e9", "https://example.com/search?q=a+b&q2=%E9"),
        ("mailto:Press@Example.com", "mailto:Press@Example.com"),
        ("", ""),
        ("not a url", "not%20a%20url"),
        ("http://[bad/?utm_source=1&x=1#f", "http://[bad/?x=1"),
    ],
)
def test_canonicalise_examples(raw: str, expected: str) -> None:
    """Each documented normalisation rule produces the expected spelling."""
    assert canonicalise_url(raw) == expected


def test_variants_collapse_to_one() -> None:
    """Spellings of one article that differ only in tracking and case collapse to one URL."""
    variants = [
        "https://www.example.com/tech/alibaba-qwen3-launch",
        "HTTPS://WWW.EXAMPLE.COM:443/tech/alibaba-qwen3-launch#comments",
        "https://www.example.com/tech/alibaba-qwen3-launch?utm_source=twitter&utm_medium=social",
        "https://www.example.com/tech/./alibaba-qwen3-launch?fbclid=IwAR0xyz",
    ]
    assert len({canonicalise_url(v) for v in variants}) == 1


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://example.com/a", True),
        ("HTTP://example.com", True),
        ("http://user@example.com:8080/x", True),
        ("http://[::1]/", True),
        ("https://", False),
        ("http://:80/", False),
        ("http://[::1/", False),
        ("ftp://example.com/a", False),
        ("javascript:alert(1)", False),
        ("file:///etc/passwd", False),
        ("/relative/path", False),
        ("example.com/a", False),
        ("", False),
    ],
)
def test_is_http_url(url: str, expected: bool) -> None:
    """Only absolute http(s) URLs with a host count as fetchable."""
    assert is_http_url(url) is expected


_url_text = st.one_of(
    st.text(),
    st.builds(
        lambda scheme, host, port, path, query, frag: f"{scheme}://{host}{port}{path}{query}{frag}",
        st.sampled_from(["http", "HTTPS", "Http", "ftp", "x-y"]),
        st.one_of(
            st.from_regex(r"[A-Za-z0-9.\-]{0,20}", fullmatch=True),
            st.text(min_size=0, max_size=12),
            st.just("[::1]"),
            st.just("Bücher.de"),
        ),
        st.sampled_from(["", ":", ":80", ":443", ":0080", ":x", ":99999"]),
        st.text(alphabet=st.characters(codec="utf-8"), max_size=20).map(lambda s: "/" + s),
        st.lists(
            st.tuples(
                st.sampled_from(["utm_source", "UTM_x", "fbclid", "a", "b", "ref", "q", "", "%7E"]),
                st.text(max_size=6),
            ),
            max_size=5,
        ).map(lambda kv: ("?" + "&".join(f"{k}={v}" for k, v in kv)) if kv else ""),
        st.sampled_from(["", "#", "#frag", "#a?b"]),
    ),
)


@given(_url_text)
@example("http://[bad/?utm_source=1")
@example("/.//x")
@example("%")
@example("http://a/%2")
@example("http://\udcff/\ud800")
def test_canonicalise_is_total_idempotent_and_untracked(url: str) -> None:
    """Any string canonicalises without raising, twice gives the same, and no tracking remains."""
    once = canonicalise_url(url)
    assert canonicalise_url(once) == once
    assert not _has_tracking(once)
    assert "#" not in once


@given(st.text())
def test_is_http_url_is_total(url: str) -> None:
    """is_http_url returns a bool for any string and agrees with its canonical form."""
    result = is_http_url(url)
    assert isinstance(result, bool)
    if result:
        assert is_http_url(canonicalise_url(url))
