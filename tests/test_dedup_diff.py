"""Word-level unified diff (ingest.dedup.word_diff)."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from ingest.dedup import word_diff

_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@$")


def apply(old: str, diff: str) -> list[str]:
    """Replay a word diff on ``old``'s words, checking every context and deleted word."""
    words, out, pos = old.split(), [], 0
    for line in diff.splitlines()[2:]:
        if m := _HUNK.match(line):
            start = int(m.group(1)) - (0 if m.group(2) == "0" else 1)
            out += words[pos:start]
            pos = start
            continue
        run = line[1:].split()
        if line[0] in " -":
            assert words[pos : pos + len(run)] == run
            pos += len(run)
        if line[0] in " +":
            out += run
    return out + words[pos:]


def test_identical_texts_give_an_empty_diff() -> None:
    """No diff when only whitespace differs."""
    assert word_diff("Revenue rose 7%.", "Revenue   rose\n7%.") == ""


def test_corrected_figure_shows_as_one_word() -> None:
    """A corrected figure inside a long paragraph shows as -old +new word runs."""
    old = "The cloud unit grew 7% to 29.6 billion yuan in the quarter, the company said."
    new = old.replace("7%", "6%")
    diff = word_diff(old, new, context=3)
    assert diff.splitlines() == [
        "--- old",
        "+++ new",
        "@@ -2,7 +2,7 @@",
        " cloud unit grew",
        "-7%",
        "+6%",
        " to 29.6 billion",
    ]


def test_labels_and_insertions() -> None:
    """Labels name the revisions; an inserted sentence appears as one + run."""
    diff = word_diff("a b c", "a b X Y c", old_label="rev 1", new_label="rev 2")
    assert diff.splitlines()[:2] == ["--- rev 1", "+++ rev 2"]
    assert "+X Y" in diff.splitlines()


@given(
    st.lists(st.sampled_from("abcdefg"), max_size=60),
    st.lists(st.sampled_from("abcdefg"), max_size=60),
    st.integers(min_value=0, max_value=4),
)
def test_diff_replays_old_into_new(old: list[str], new: list[str], context: int) -> None:
    """Applying the diff to the old words always yields exactly the new words."""
    diff = word_diff(" ".join(old), " ".join(new), context=context)
    assert apply(" ".join(old), diff) == new
    assert (diff == "") == (old == new)
