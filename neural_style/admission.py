"""Admission by memory: the server takes on work only while the memory that the work in
flight needs fits in a budget, so that its memory is bounded by design, whatever the
requests (many at once, or small files that decode to large images)."""

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
    the kinds against peak resident memory, plus the ingress's copies."""
    side = 1024
    scale = network.kind.scale
    return network.memory(side, side) / side**2 + INGRESS_BYTES_PER_PIXEL + REPLY_BYTES_PER_PIXEL * scale**2


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
            raise RestError(413, f"{what} needs {n / 1e9:.2f} GB, over this server's memory budget of "
                                 f"{self.limit / 1e9:.2f} GB (--max-memory); send a smaller image")  # fmt: skip
        try:
            async with asyncio.timeout(self.wait_s):
                async with self._turns:
                    while self.held + n > self.limit:
                        self._freed.clear()
                        await self._freed.wait()
                    self.held += n
        except TimeoutError:
            raise RestError(503, f"the server is busy (its memory budget of {self.limit / 1e9:.2f} GB is in use); retry") from None
        try:
            yield
        finally:
            self.held -= n
            self._freed.set()
