"""Admission by memory: the server takes on work only while the memory that the work in
flight needs fits in a budget, so that its memory is bounded by design, whatever the
requests (many at once, or small files that decode to large images); and request bodies,
read only up to a limit and only so many of the largest at once."""

from __future__ import annotations

import asyncio
import contextlib

from neural_style.restapi import RestError

# Bytes per input pixel that the ingress holds for a request besides the network's: the
# base64 text and JSON string (4 + 4), the decoded file (3), the array (3), and per output
# pixel the array, PNG and base64 of the reply (3 + 3 + 4).
INGRESS_BYTES_PER_PIXEL = 14
REPLY_BYTES_PER_PIXEL = 10


def bytes_per_pixel(network) -> float:
    """Peak bytes per input pixel of a request painted by ``network`` (an
    ``inference.Network``): the network's own estimate (``Kind.memory``), measured for
    the kinds against peak resident memory, plus the ingress's copies.  Taken at 256 px,
    where the networks' reflection padding weighs more than at any larger size: per pixel,
    a larger image needs less, and a smaller one little in all (docs/benchmarks.md)."""
    side = 256
    scale = network.kind.scale
    return (
        network.memory(side, side) / side**2
        + INGRESS_BYTES_PER_PIXEL
        + REPLY_BYTES_PER_PIXEL * scale**2
    )


class Budget:
    """``limit`` bytes shared by the requests in flight: ``hold(n)`` waits until ``n``
    more bytes fit, up to ``wait_s`` seconds (then 503, busy), and refuses at once (413)
    work that would not fit even alone.  Waiters are served in the order they came, so a
    large request is not passed over for ever by small ones."""

    def __init__(self, limit: int, wait_s: float = 60.0):
        self.limit, self.wait_s, self.held = int(limit), wait_s, 0
        self._turns = asyncio.Lock()  # one waiter at a time at the head of the queue
        self._freed = asyncio.Event()

    @contextlib.asynccontextmanager
    async def hold(self, n: int, what="the request"):
        n = int(n)
        if n > self.limit:
            raise RestError(
                413,
                f"{what} needs {n / 1e9:.2f} GB, over this server's memory budget of "
                f"{self.limit / 1e9:.2f} GB (--max-memory); send a smaller image",
            )
        try:
            async with asyncio.timeout(self.wait_s):
                async with self._turns:
                    while self.held + n > self.limit:
                        self._freed.clear()
                        await self._freed.wait()
                    self.held += n
        except TimeoutError:
            raise RestError(
                503,
                f"the server is busy (its memory budget of {self.limit / 1e9:.2f} GB is in use); "
                "retry",
            ) from None
        try:
            yield
        finally:
            self.held -= n
            self._freed.set()


BODIES_AT_ONCE = 8  # request bodies of the largest size read at the same time


def default_memory() -> int:
    """The memory budget when ``--max-memory`` is not given: half of what is available
    when the server starts, bytes."""
    from neural_style import memory

    return memory.available() // 2


def declared_length(request) -> int | None:
    """The request's Content-Length, bytes, where it gives one."""
    value = request.headers.get("content-length", "")
    return int(value) if value.isdigit() else None


def body_limit(max_pixels) -> int:
    """The largest request body taken, bytes: an image of ``max_pixels`` that PNG cannot
    compress (3 bytes a pixel), in base64 (4/3), and 1 MiB for the rest."""
    return 4 * max_pixels + 2**20


async def read_body(request, limit) -> bytes:
    """The body of a predict request, refused (413) past ``limit`` bytes before it is all
    read, and (415) unless it is JSON."""
    kind = request.headers.get("content-type", "application/json").split(";")[0].strip().lower()
    if kind != "application/json":  # a page elsewhere can post text/plain without asking; not JSON
        raise RestError(415, f"the request's content type is {kind}; send application/json")
    declared = declared_length(request)
    if declared and declared > limit:
        raise RestError(
            413,
            f"the request body is {declared:,} bytes, over this server's limit of {limit:,}; send "
            "a smaller image",
        )
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise RestError(
                413,
                f"the request body is over this server's limit of {limit:,} bytes; send a smaller "
                "image",
            )
        chunks.append(chunk)
    return b"".join(chunks)
