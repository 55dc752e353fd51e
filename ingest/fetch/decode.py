"""Content decoding (gzip, deflate, br) with a hard cap on the decoded size.

httpx would decode for us, but only all at once per chunk with no limit, so a 100 kB gzip bomb
could expand into gigabytes before anything looks at it. Here every decompressor is asked for at
most "what is left of the budget plus one byte" at a time, so memory stays bounded by the cap
whatever the compression ratio.
"""

from __future__ import annotations

import zlib
from typing import Protocol

import brotli  # type: ignore[import-untyped]

from ingest.errors import FailureKind, FetchError

__all__ = ["SUPPORTED_ENCODINGS", "BoundedDecoder"]

# What we advertise in Accept-Encoding; a server answering with anything else is broken.
SUPPORTED_ENCODINGS = "gzip, deflate, br"


_STEP = 256 * 1024


class _Stage(Protocol):
    # Lists of chunks rather than one joined bytes: joining would briefly hold the output twice.
    def feed(self, data: bytes) -> list[bytes]: ...

    def finish(self) -> list[bytes]: ...


class _Budget:
    """Shared output counter of one stage; raises as soon as the cap is passed."""

    def __init__(self, limit: int, url: str) -> None:
        self.limit = limit
        self.used = 0
        self.url = url

    def room(self) -> int:
        # One byte more than allowed, so overshooting is detected rather than silently truncated;
        # and never more than _STEP per call, because the decompressors build each call's output
        # in blocks and then copy it into one bytes object, briefly holding it twice.
        return min(self.limit - self.used + 1, _STEP)

    def take(self, chunk: bytes) -> bytes:
        self.used += len(chunk)
        if self.used > self.limit:
            raise FetchError(
                f"decoded body exceeds {self.limit} bytes", url=self.url, kind=FailureKind.TOO_LARGE
            )
        return chunk


class _ZlibStage:
    """gzip (RFC 1952, concatenated members allowed) or deflate (RFC 1950, or raw RFC 1951)."""

    def __init__(self, coding: str, budget: _Budget) -> None:
        self._gzip = coding == "gzip"
        self._budget = budget
        self._pending = b""
        self._d: zlib._Decompress | None = (
            zlib.decompressobj(16 + zlib.MAX_WBITS) if self._gzip else None
        )

    def _start_deflate(self, head: bytes) -> zlib._Decompress:
        # RFC 9110 §8.4.1.2 says "deflate" means the zlib format, but some servers send a raw
        # deflate stream; a zlib header is recognisable by CM=8 and a header checksum of 0 mod 31.
        is_zlib = head[0] & 0x0F == 8 and (head[0] << 8 | head[1]) % 31 == 0
        return zlib.decompressobj(zlib.MAX_WBITS if is_zlib else -zlib.MAX_WBITS)

    def feed(self, data: bytes) -> list[bytes]:
        if self._d is None:
            self._pending += data
            if len(self._pending) < 2:
                return []
            self._d = self._start_deflate(self._pending)
            data, self._pending = self._pending, b""
        out: list[bytes] = []
        buf = data
        while buf:
            if self._d.eof:
                if not self._gzip or not buf.strip(b"\0"):
                    break  # bytes after the stream end (or NUL padding): ignored, as browsers do
                self._d = zlib.decompressobj(16 + zlib.MAX_WBITS)
            out.append(self._budget.take(self._d.decompress(buf, self._budget.room())))
            buf = self._d.unused_data if self._d.eof else self._d.unconsumed_tail
        return out

    def finish(self) -> list[bytes]:
        if self._d is None:
            if self._pending:
                raise zlib.error("truncated deflate stream")
            return []
        # Whatever zlib still holds is bounded by its window (32 kB), so flush() cannot explode.
        tail = self._budget.take(self._d.flush())
        if not self._d.eof:
            raise zlib.error("truncated compressed stream")
        return [tail]


class _BrotliStage:
    def __init__(self, budget: _Budget) -> None:
        self._budget = budget
        self._d = brotli.Decompressor()

    def feed(self, data: bytes) -> list[bytes]:
        out = [self._budget.take(self._d.process(data, output_buffer_limit=self._budget.room()))]
        # brotli >= 1.2: with the output limit reached, drain with empty input before feeding more.
        while not self._d.can_accept_more_data():
            out.append(
                self._budget.take(self._d.process(b"", output_buffer_limit=self._budget.room()))
            )
        return out

    def finish(self) -> list[bytes]:
        if not self._d.is_finished():
            raise brotli.error("truncated brotli stream")
        return []


class BoundedDecoder:
    """Decode a body fed chunk by chunk, raising ``FetchError(TOO_LARGE)`` past ``limit`` bytes.

    ``content_encoding`` is the header value; codings are undone in reverse order of application
    (RFC 9110 §8.4). Unknown codings and corrupt streams raise ``FetchError(PROTOCOL)``.
    """

    def __init__(self, content_encoding: str | None, *, limit: int, url: str) -> None:
        self._url = url
        self._final = _Budget(limit, url)  # also bounds a body with no content coding at all
        self._stages: list[_Stage] = []
        codings = [c.strip().lower() for c in (content_encoding or "").split(",")]
        stacked = [c for c in codings if c and c != "identity"]
        for depth, coding in enumerate(reversed(stacked)):
            # The last stage yields the body and gets the cap. An inner stage yields the body
            # still compressed, which for incompressible data is the body plus a little framing
            # (deflate and brotli expand by well under 1% + 1 kB at worst), hence the slack.
            last = depth == len(stacked) - 1
            budget = _Budget(limit if last else limit + limit // 100 + 1024, url)
            if coding in ("gzip", "x-gzip", "deflate"):  # x-gzip: RFC 9110 §8.4.1.3
                self._stages.append(
                    _ZlibStage("deflate" if coding == "deflate" else "gzip", budget)
                )
            elif coding == "br":
                self._stages.append(_BrotliStage(budget))
            else:
                raise FetchError(
                    f"unsupported Content-Encoding {coding!r}", url=url, kind=FailureKind.PROTOCOL
                )
        self._parts: list[bytes] = []

    def feed(self, data: bytes) -> None:
        """Decode one chunk of wire bytes."""
        self._run(data, final=False)

    def finish(self) -> bytes:
        """Flush the decoders, check the streams were complete, return the whole body."""
        self._run(b"", final=True)
        return b"".join(self._parts)

    def _run(self, data: bytes, *, final: bool) -> None:
        chunks = [data]
        try:
            for stage in self._stages:
                chunks = [out for chunk in chunks for out in stage.feed(chunk)]
                if final:
                    # Output flushed by one stage still has to pass through the next ones.
                    chunks.extend(stage.finish())
        except (zlib.error, brotli.error) as exc:
            raise FetchError(
                f"corrupt compressed body: {exc}", url=self._url, kind=FailureKind.PROTOCOL
            ) from exc
        self._parts.extend(self._final.take(chunk) for chunk in chunks if chunk)
