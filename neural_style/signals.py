"""Ctrl-C as a request to stop: long work (an optimisation, a training run) finishes its
current step and keeps what it made, instead of dying with it half-written."""

from __future__ import annotations

import contextlib
import signal
import threading


@contextlib.contextmanager
def stop_requests(request_stop, signals=(signal.SIGINT, signal.SIGTERM)):
    """While active, the first of ``signals`` calls ``request_stop()`` instead of ending
    the process; a second Ctrl-C raises KeyboardInterrupt at once.  Outside the main
    thread, where Python cannot set signal handlers, it changes nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {s: signal.getsignal(s) for s in signals}
    asked = []

    def handler(signum, frame):
        if asked and signum == signal.SIGINT:
            raise KeyboardInterrupt
        asked.append(signum)
        request_stop()

    for s in previous:
        signal.signal(s, handler)
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h)
