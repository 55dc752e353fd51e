"""Shingles, MinHash signatures and LSH band keys.

Shingles are word n-grams of the normalised tokens, hashed to 64 bits. A signature is
``bands * rows`` MinHash values; ``band_keys`` folds each band into one 63-bit integer, the
unit the SQLite index stores. Two texts share a band key with probability
``1 - (1 - J**rows) ** bands`` for shingle Jaccard ``J`` (see docs/dedup.md for the curve).

Everything here is deterministic across processes and machines (no ``hash()``, fixed seed):
band keys are persisted, so a key computed today must equal the key computed next year.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from ingest.dedup.normalise import tokens
from ingest.dedup.settings import DedupSettings

U64 = npt.NDArray[np.uint64]

# Odd 64-bit constants (from splitmix64) for polynomial folding and the final mix.
_MUL = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_S30, _S27, _S31 = np.uint64(30), np.uint64(27), np.uint64(31)
_S32, _ONE = np.uint64(32), np.uint64(1)
_EMPTY_VALUE = 0xFFFFFFFF


def _mix(x: U64) -> U64:
    """splitmix64 finaliser: spreads nearby inputs over all 64 bits (uint64 arithmetic wraps)."""
    x = (x ^ (x >> _S30)) * _MIX1
    x = (x ^ (x >> _S27)) * _MIX2
    return x ^ (x >> _S31)


def shingles_of_tokens(words: list[str], size: int) -> U64:
    """Sorted unique 64-bit hashes of the ``size``-word shingles (one shingle if shorter)."""
    if not words:
        return np.empty(0, dtype=np.uint64)
    # map() rather than a generator: no Python frame per word (str.encode defaults to UTF-8).
    word_hashes = np.fromiter(
        map(zlib.crc32, map(str.encode, words)), dtype=np.uint64, count=len(words)
    )
    width = min(size, len(words))
    count = len(words) - width + 1
    acc = np.zeros(count, dtype=np.uint64)
    for offset in range(width):
        acc = acc * _MUL + word_hashes[offset : offset + count]
    return np.unique(_mix(acc))


def shingles(text: str, size: int = 5) -> U64:
    """Sorted unique shingle hashes of ``text`` after normalisation."""
    return shingles_of_tokens(tokens(text), size)


@lru_cache(maxsize=8)
def _permutations(num_perm: int, seed: int) -> tuple[U64, U64]:
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 2**63, size=num_perm, dtype=np.uint64) * np.uint64(2) + _ONE
    b = rng.integers(0, 2**63, size=num_perm, dtype=np.uint64)
    return a, b


@dataclass(frozen=True, slots=True)
class Signature:
    """MinHash of one text: ``bands * rows`` 32-bit values plus what the index needs to know.

    ``indexable`` is False for texts with fewer shingles than ``min_index_shingles``: a stub's
    sketch is noise and would put every stub in one hot bucket.
    """

    values: tuple[int, ...]
    bands: int
    rows: int
    shingle_count: int
    indexable: bool


def signature_of_shingles(hashes: U64, settings: DedupSettings) -> Signature:
    """Signature from precomputed shingle hashes (lets callers hash a text once)."""
    num_perm = settings.num_perm
    if hashes.size == 0:
        values: tuple[int, ...] = (_EMPTY_VALUE,) * num_perm
    else:
        a, b = _permutations(num_perm, settings.seed)
        # Multiply-shift hashing: the high 32 bits of a*x+b mod 2^64 for odd a.
        permuted = (a[:, None] * hashes[None, :] + b[:, None]) >> _S32
        values = tuple(int(v) for v in permuted.min(axis=1))
    return Signature(
        values=values,
        bands=settings.bands,
        rows=settings.rows,
        shingle_count=int(hashes.size),
        indexable=int(hashes.size) >= settings.min_index_shingles,
    )


def signature(text: str, settings: DedupSettings) -> Signature:
    """MinHash signature of ``text`` under ``settings``."""
    return signature_of_shingles(shingles(text, settings.shingle_size), settings)


def band_keys(sig: Signature) -> list[int]:
    """One signed 63-bit key per band (band number folded in); empty when not indexable."""
    if not sig.indexable:
        return []
    table = np.array(sig.values, dtype=np.uint64).reshape(sig.bands, sig.rows)
    acc = np.arange(sig.bands, dtype=np.uint64) + _ONE
    for row in range(sig.rows):
        acc = acc * _MUL + table[:, row]
    # >> 1 so the key fits a signed 64-bit INTEGER column in SQLite and PostgreSQL.
    return [int(k) for k in _mix(acc) >> _ONE]


def estimated_jaccard(a: Signature, b: Signature) -> float:
    """Share of equal MinHash values: an unbiased estimate of the shingle Jaccard."""
    if not a.values:
        return 0.0
    return sum(x == y for x, y in zip(a.values, b.values, strict=True)) / len(a.values)
