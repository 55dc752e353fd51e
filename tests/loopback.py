"""The ``loopback`` pytest fixture and test-only helpers around :mod:`ingest_demo.loopback`.

``tests/conftest.py`` imports the fixture from here, so every test module can ask for it.
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Iterator

import brotli  # type: ignore[import-untyped]
import pytest

from ingest_demo.loopback import CannedResponse, Handler, LoopbackServer, RecordedRequest

__all__ = [
    "CannedResponse",
    "Handler",
    "LoopbackServer",
    "RecordedRequest",
    "bomb",
    "compress",
    "loopback",
    "serve_loopback",
]


def serve_loopback() -> Iterator[LoopbackServer]:
    """A running loopback server; fails the test if one of its route handlers raised."""
    with LoopbackServer() as server:
        yield server
    errors = server.handler_errors
    assert not errors, f"loopback route handlers raised: {errors!r}"


loopback = pytest.fixture(name="loopback")(serve_loopback)


def compress(data: bytes, coding: str) -> bytes:
    """Encode ``data`` with one HTTP content coding: ``gzip``, ``deflate`` (zlib), ``br``."""
    if coding == "gzip":
        return gzip.compress(data, compresslevel=6, mtime=0)
    if coding == "deflate":
        return zlib.compress(data, 6)
    if coding == "br":
        return bytes(brotli.compress(data, quality=5))
    raise ValueError(coding)


_BOMBS: dict[tuple[str, int], bytes] = {}


def bomb(coding: str, decoded_size: int) -> CannedResponse:
    """A decompression bomb: ``decoded_size`` zero bytes, sent compressed with ``coding``."""
    key = (coding, decoded_size)
    if key not in _BOMBS:  # building one takes a moment; parametrised tests reuse it
        _BOMBS[key] = compress(bytes(decoded_size), coding)
    return CannedResponse(body=_BOMBS[key], precompressed=coding, content_type="text/html")
