"""Word-level unified diff between two revisions of an article.

Line diffs are useless for extracted text (a paragraph is one line, so a corrected figure
shows as a whole changed paragraph); this diffs words and prints the unified format with
words as the unit: hunk headers count words, and each ``-``/``+``/`` `` line holds a run of
words. Splitting every line on spaces and replaying the ``-``/`` `` runs gives the old text's
words, the ``+``/`` `` runs the new one's.
"""

from __future__ import annotations

from difflib import SequenceMatcher


def _range(start: int, length: int) -> str:
    # Unified-diff convention: 1-based start, and an empty range names the word before it.
    if length == 1:
        return f"{start + 1}"
    if length == 0:
        return f"{start},0"
    return f"{start + 1},{length}"


def word_diff(
    old: str, new: str, *, context: int = 8, old_label: str = "old", new_label: str = "new"
) -> str:
    """Unified diff of ``old`` -> ``new`` word by word; empty string when the words are equal."""
    a, b = old.split(), new.split()
    # autojunk off: in news text the most frequent words are exactly the ones that matter.
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    lines: list[str] = []
    for group in matcher.get_grouped_opcodes(context):
        if not lines:
            lines += [f"--- {old_label}", f"+++ {new_label}"]
        first, last = group[0], group[-1]
        lines.append(
            f"@@ -{_range(first[1], last[2] - first[1])} +{_range(first[3], last[4] - first[3])} @@"
        )
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                lines.append(" " + " ".join(a[i1:i2]))
                continue
            if i2 > i1:
                lines.append("-" + " ".join(a[i1:i2]))
            if j2 > j1:
                lines.append("+" + " ".join(b[j1:j2]))
    return "\n".join(lines) + ("\n" if lines else "")
