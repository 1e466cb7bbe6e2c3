"""Rolling out the served networks (``neural-style serve``), from the command's process:
Ray and Ray Serve started, the ingress and one application per model version deployed
(``neural_style.serving``), exported folders watched for new versions as TF Serving watches
its model base paths.  A new version's application starts beside the old one, which keeps
answering; once Ray reports it running, the ingress routes the model to it and the old
application is deleted (Ray lets its requests in flight finish first).  A version that
fails to load is reported and left out.
"""

import logging
import math
import os
import time
from pathlib import Path

from ray import serve

from neural_style import formats, restapi
from neural_style.errors import NeuralStyleError
from neural_style.ingress import Ingress
from neural_style.serving import ModelVersion


def versions_in(folder) -> list[int]:
    """The complete version folders of an exported model (``N/`` holding a format of
    ``formats.FORMATS``: ``saved_model.pb``, ``model.onnx``, ...), sorted."""
    folder = Path(folder)
    return (
        sorted(int(p.name) for p in folder.iterdir() if p.name.isdigit() and formats.of(p))
        if folder.is_dir()
        else []
    )


def signature(source) -> tuple:
    """What identifies the files of a version folder as they are now (names, sizes, times):
    a version that failed to load is tried again only once this changes."""
    files = (
        sorted(p for p in Path(source).rglob("*") if p.is_file())
        if Path(source).is_dir()
        else [Path(source)]
    )
    return tuple((str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in files if p.exists())


def one_line(error) -> str:
    """The last line of an error's message (Ray wraps the replica's traceback in its own)."""
    lines = [line.strip() for line in str(error).strip().splitlines() if line.strip()]
    return (lines[-1] if lines else type(error).__name__)[:300]


class Server:
    """Ray, Ray Serve, the ingress and the models, from the command's process."""

    def __init__(
        self,
        sources: dict,
        host="127.0.0.1",
        port=8501,
        batching=True,
        max_pixels=restapi.MAX_PIXELS,
        address=None,
        max_memory=None,
        replicas=1,
    ):
        self.sources, self.host, self.port = dict(sources), host, port
        self.batching, self.max_pixels, self.address = batching, max_pixels, address
        self.max_memory, self.replicas = max_memory, replicas
        self.current = {}  # name -> served version
        self.states = {}  # name -> {version: (state, info, error)}: what the ingress was told
        self.failed = {}  # name -> (version, signature of its files) that failed to load

    def start(self):
        import ray

        # "Application ... is ready": ours says it once
        logging.getLogger("ray.serve").setLevel(logging.WARNING)
        os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")  # no usage report from a local server
        # Ray's processes inherit it: glibc's malloc otherwise keeps a heap (arena) per
        # thread that ran the network, each holding its largest image's memory for good.
        os.environ.setdefault("MALLOC_ARENA_MAX", "2")
        if not ray.is_initialized():
            # Without --address: a new cluster of our own ("local": never one already running
            # here), on the loopback address only where ``LOCAL_ONLY`` was set before Ray's import.
            ray.init(
                address=self.address or "local",
                include_dashboard=False,
                log_to_driver=False,
                configure_logging=False,
            )
        # One proxy, on the head node (where `neural-style serve` runs in the recipe), so the
        # API has one address however many nodes hold replicas.
        serve.start(
            proxy_location="HeadOnly",
            http_options={"host": self.host, "port": self.port},
            logging_config={"log_level": "WARNING"},
        )
        self.ingress = serve.run(
            Ingress.bind(self.max_pixels, self.max_memory), name="ingress", route_prefix="/"
        )
        for name, source in self.sources.items():
            versions = versions_in(source)
            if not versions:
                if not self.roll_out(name, 1, source):
                    raise NeuralStyleError(
                        f"--model {source}: failed to load: {self.failed[name][2]}"
                    )
                continue
            # newest that loads
            if not any(self.roll_out(name, v, Path(source) / str(v)) for v in reversed(versions)):
                raise NeuralStyleError(
                    f"--model {source}: no version loads; the newest failed with: "
                    f"{self.failed[name][2]}"
                )

    def route(self, name, version, state, info=None, current=False, error=None):
        """Tell the ingress ``version``'s state (``Ingress.route``), and keep it: an ingress
        started again (its node died, or it crashed) is told everything again."""
        self.states.setdefault(name, {})[version] = (state, info, error)
        self.ingress.route.remote(name, version, state, info, current=current, error=error).result()

    def ingress_current(self):
        """Tell a new ingress replica the routes again, if it lost them."""
        try:
            if self.ingress.served.remote().result(timeout_s=30) == self.current:
                return
            routes = [
                (name, version, state, info, self.current.get(name) == version, error)
                for name, versions in self.states.items()
                for version, (state, info, error) in versions.items()
            ]
            self.ingress.restore.remote(routes).result()
        except Exception:  # noqa: BLE001 - the ingress is being started again: at the next poll
            pass

    def placement(self) -> dict:
        """``--replicas`` spread evenly over the nodes alive now (Ray's own spreading is
        best effort: two replicas started together may land on one node)."""
        import ray

        if self.replicas == 1:
            return {"num_replicas": 1}
        nodes = sum(1 for node in ray.nodes() if node["Alive"])
        return {
            "num_replicas": self.replicas,
            "max_replicas_per_node": math.ceil(self.replicas / max(nodes, 1)),
        }

    def roll_out(self, name, version, source) -> bool:
        """Serve ``source`` as ``name`` version ``version``: started beside the current
        version, switched to once running, the old one then deleted.  A version that fails
        to load is reported (``GET /v1/models/NAME``) and left out; the served one stays."""
        self.route(name, version, "LOADING")
        app_name = f"{name}-v{version}"
        files = signature(source)
        try:
            handle = serve.run(
                ModelVersion.options(**self.placement()).bind(str(source), self.batching),
                name=app_name,
                route_prefix=None,
            )
            info = handle.describe.remote().result()
        except Exception as e:  # noqa: BLE001 - whatever the replica raised, Ray has given up on it
            serve.delete(app_name)
            self.failed[name] = (version, files, one_line(e))
            self.route(name, version, "END", error=f"failed to load: {one_line(e)}")
            return False
        old = self.current.get(name)
        self.route(name, version, "AVAILABLE", info, current=True)
        self.current[name] = version
        self.failed.pop(name, None)
        if old is not None and old != version:
            self.route(name, old, "UNLOADING")
            serve.delete(f"{name}-v{old}")
            self.route(name, old, "END")
        return True

    def watch_once(self):
        """Roll out the newest version of each exported model, if newer than the served
        (one that failed to load: once its files change)."""
        self.ingress_current()
        for name, source in self.sources.items():
            versions = versions_in(source)
            if not versions or versions[-1] <= self.current.get(name, 0):
                continue
            newest = Path(source) / str(versions[-1])
            failed = self.failed.get(name)
            if failed and failed[:2] == (versions[-1], signature(newest)):
                continue
            self.roll_out(name, versions[-1], newest)

    def serve_forever(self, poll=2.0, stop_after=None, stop=lambda: False):
        end = time.monotonic() + stop_after if stop_after else None
        while not stop() and (end is None or time.monotonic() < end):
            self.watch_once()
            for _ in range(int(poll / 0.1)):
                if stop():
                    break
                time.sleep(0.1)

    def stop(self):
        import ray

        serve.shutdown()
        ray.shutdown()
