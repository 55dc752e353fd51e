"""The fast paths of the dedup stage give the same answers as the plain ones they replace."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from ingest.dedup import (
    Candidate,
    DedupSettings,
    Incoming,
    classify,
    prepare,
    shingles,
    signature,
    signature_of_shingles,
    text_hash,
    tokens,
)
from ingest.dedup.normalise import _TRANSLATE, _fold_variants

SETTINGS = DedupSettings()
VARIANTS = "".join(chr(code) for code in _TRANSLATE)
# Text rich in the typographic variants, next to the ASCII they fold to and ordinary words.
TEXTY = st.text(alphabet=st.sampled_from([*VARIANTS, *"'\"- ab1.%$\n", "é", "阿"]), max_size=200)
STORY = (
    "Alibaba said on Tuesday it would spend 380 billion yuan on AI infrastructure over three "
    "years, more than it spent in the past decade, as cloud revenue rose 26% to 30.1 billion "
    "yuan in the quarter."
)


@given(TEXTY)
def test_fold_variants_is_translate(text: str) -> None:
    """Folding quote, dash and invisible variants equals str.translate with the same table."""
    assert _fold_variants(text) == text.translate(_TRANSLATE)


@given(st.one_of(TEXTY, st.text(max_size=300)))
def test_prepare_matches_the_plain_functions(text: str) -> None:
    """prepare() yields the tokens, text hash and shingles the separate functions compute."""
    prepared = prepare(text, SETTINGS)
    assert prepared.words == tokens(text)
    assert prepared.hash == text_hash(text)
    assert prepared.shingles.tolist() == shingles(text, SETTINGS.shingle_size).tolist()
    assert signature_of_shingles(prepared.shingles, SETTINGS) == signature(text, SETTINGS)


def _candidate(text: str, *, source: str, url: str) -> Candidate:
    return Candidate(id=7, text=text, url=url, source=source)


@given(
    edit=st.sampled_from(["", " Shares rose 3%.", "\u201cWe are all in,\u201d it said."]),
    source=st.sampled_from(["source:1", "source:2"]),
    url=st.sampled_from(["https://a.example/1", "https://b.example/2"]),
    as_prior=st.booleans(),
)
def test_classify_with_prepared_decides_the_same(
    edit: str, source: str, url: str, as_prior: bool
) -> None:
    """classify() given prepare(text) decides exactly as classify() tokenising by itself."""
    stored = _candidate(STORY, source="source:1", url="https://a.example/1")
    incoming = Incoming(text=STORY + edit, url=url, source=source)
    prior = stored if as_prior else None
    candidates = [] if as_prior else [stored]
    plain = classify(incoming, prior, candidates, SETTINGS)
    fast = classify(
        incoming, prior, candidates, SETTINGS, prepared=prepare(incoming.text, SETTINGS)
    )
    assert fast == plain
