"""``neural-style serve`` in a child process on a free port of 127.0.0.1, for notebooks,
tests and benchmarks: started, waited for until it says it serves, and stopped.

    with LocalServer(["starry_night"]) as server:
        requests.post(f"{server.url}/v1/models/starry_night:predict", json=...)
"""

from __future__ import annotations

import queue
import signal
import socket
import subprocess
import sys
import threading
import time


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LocalServer:
    """The server of ``models`` (``serve --model`` values) with the further ``options``
    (``["--max-pixels", "4096", ...]``); it stops by itself after ``stop_after`` seconds
    in any case.  ``url`` and ``process`` are set once it serves."""

    def __init__(self, models, options=(), stop_after=900, timeout=300):
        self.port, self.timeout = free_port(), timeout
        self.url, self.process = f"http://127.0.0.1:{self.port}", None
        self.command = [sys.executable, "-m", "neural_style", "serve", "--model", *models]
        self.command += [*options, "--port", str(self.port), "--stop-after", str(stop_after), "-q"]

    def __enter__(self) -> LocalServer:
        self.process = subprocess.Popen(
            self.command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        lines = queue.Queue()
        threading.Thread(
            target=lambda: [lines.put(x) for x in self.process.stdout], daemon=True
        ).start()
        start, seen = time.monotonic(), []
        while not any(line.startswith("serving ") for line in seen):
            if self.process.poll() is not None or time.monotonic() - start > self.timeout:
                self.stop()
                raise RuntimeError(
                    f"`{' '.join(self.command)}` did not serve:\n{''.join(seen)[-3000:]}"
                )
            try:
                seen.append(lines.get(timeout=1))
            except queue.Empty:
                pass
        return self

    def __exit__(self, *exc):
        self.stop()

    def stop(self):
        """SIGTERM (the server's graceful stop), then kill after a minute."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
