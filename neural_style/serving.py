"""``neural-style serve``'s replicas on Ray Serve: one deployment per model version, its
dynamic batching (``serve.batch``) and its supervision (a crashed replica is restarted, the
others keep serving); a Ray cluster when one machine is not enough (``ray start --head``,
then ``--address``).

Each model version is a Ray Serve application of its own, ``NAME-vN``: its replica loads
the network and answers a warm-up request in ``__init__``, so Ray counts it running only
then; its ``predict`` is batched by ``serve.batch`` (same-size images in one pass).  The
ingress (``neural_style.ingress``) routes requests to it; ``neural_style.rollout`` starts
both and rolls out new versions beside the old.
"""

import asyncio

import numpy as np
from ray import serve

from neural_style import admission, browser, loopback

MAX_BATCH = 16


def load_network(source):
    """A shipped name, a ``.keras`` file or an exported version folder -> ``Network``."""
    from neural_style import inference, runtimes

    return runtimes.load(source) if runtimes.is_exported(source) else inference.load(source)


class PaintError(Exception):
    """The network failed on one request's image (the others of its batch are answered)."""


def paint(network, items, together=True) -> list:
    """``network`` on ``items`` ((image uint8 (H, W, 3), style weights or None) each): one
    result per item, or a ``PaintError`` in its place where the network failed on it.
    ``together``: same-size images share one pass; else (a network whose batch
    statistics would mix them) each image is painted alone.  A pass that fails is
    retried image by image, so one bad image fails only its own request."""
    kind, styled = network.kind, any(w is not None for _, w in items)
    groups = {}
    for k, (image, _) in enumerate(items):
        groups.setdefault(image.shape if together else k, []).append(k)
    results = [None] * len(items)
    for ks in groups.values():
        try:
            extra = [np.stack([items[k][1] for k in ks])] if styled else []
            out = kind.apply_batch(network.model, np.stack([items[k][0] for k in ks]), *extra)
            for k, y in zip(ks, out):
                results[k] = y
        except Exception as e:  # noqa: BLE001 - any failure of the network is answered per image
            if len(ks) > 1:
                for k, y in zip(ks, paint(network, [items[k] for k in ks], together=False)):
                    results[k] = y
            else:
                results[ks[0]] = PaintError(
                    f"the network failed on this image ({type(e).__name__})"
                )
    return results


@serve.deployment(
    max_ongoing_requests=64, graceful_shutdown_wait_loop_s=0.5, ray_actor_options={"num_cpus": 0}
)
class ModelVersion:
    """One version of one network, batched where the network's kind allows."""

    def __init__(self, source, batching=True):
        loopback.replica_grpc_on_loopback()
        self.source, self.network, self.onnx_cache = source, load_network(source), None
        self.together = not self.network.kind.mixes_batch(self.network.meta)
        self.predict_batch.set_max_batch_size(MAX_BATCH if batching else 1)
        kind = self.network.kind
        self.info = {
            **kind.describe(self.network.meta),
            "bytes_per_pixel": round(admission.bytes_per_pixel(self.network)),
            "onnx": browser.has_onnx(source, self.network),
        }
        warm = np.zeros((64, 64, 3), np.uint8)  # the warm-up request: ready only once answered
        result = paint(self.network, [(warm, kind.request_inputs(self.info, {}))])[0]
        if isinstance(result, Exception):
            raise result

    def describe(self) -> dict:
        return self.info

    async def onnx(self) -> bytes | None:
        """The network as ONNX for the page's camera mode (``browser.onnx_bytes``), made once."""
        if self.onnx_cache is None:
            self.onnx_cache = asyncio.ensure_future(
                asyncio.to_thread(browser.onnx_bytes, self.source, self.network)
            )
        return await self.onnx_cache

    @serve.batch(max_batch_size=MAX_BATCH, batch_wait_timeout_s=0.01)
    async def predict_batch(self, items: list[tuple]) -> list:
        return await asyncio.to_thread(paint, self.network, items, self.together)

    async def predict(self, image, weights=None) -> np.ndarray:
        result = await self.predict_batch((image, weights))
        if isinstance(result, Exception):
            raise result
        return result
