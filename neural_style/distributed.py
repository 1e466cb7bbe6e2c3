"""Training across processes and hosts on an existing engine: ``jax.distributed``.

Every process runs the same ``neural-style train`` command; ``start`` joins them (JAX's
coordination service, then Gloo on CPUs, NCCL on GPUs), after which ``jax.devices()``
lists every device of every host and Keras' ``DataParallel`` spans them all
(``backend.data_parallel``).  Each process streams its own share of every global batch
(``ImageStream``'s ``shard``), so Keras' own sharding of the data is off.  Process 0
alone writes the network, the checkpoint and the log; all processes stop together.

Only JAX has this here: TensorFlow's ``MultiWorkerMirroredStrategy`` wants its data as a
``tf.data.Dataset`` and a TF_CONFIG per host, and is not what Keras 3 builds on.
"""

from __future__ import annotations

import socket
import time

import numpy as np

from neural_style.errors import NeuralStyleError

INIT_TIMEOUT = 300  # s: JAX's default wait for every process to join
HEARTBEAT_TIMEOUT = 100  # s: JAX's default; a process silent this long ends the run on every host


def check(coordinator, num_processes, process_id) -> None:
    """One-line errors for the command's options, before anything starts."""
    given = [v is not None for v in (coordinator, num_processes, process_id)]
    if any(given) and not all(given):
        raise NeuralStyleError(
            "give --coordinator HOST:PORT, --num-processes N and --process-id I together (or "
            "--distributed under a cluster manager)"
        )
    if not any(given):
        return
    host, _, port = coordinator.rpartition(":")
    if not host or not port.isdigit():
        raise NeuralStyleError(
            f"--coordinator {coordinator} is not HOST:PORT, e.g. 10.0.0.1:1234 (the host of "
            "process 0)"
        )
    if num_processes < 2:
        raise NeuralStyleError(
            f"--num-processes {num_processes} with a coordinator: one process needs no "
            "coordinator; drop the three options, or give 2 or more"
        )
    if not 0 <= process_id < num_processes:
        raise NeuralStyleError(
            f"--process-id {process_id} is not valid for {num_processes} processes; give 0 to "
            f"{num_processes - 1} (0 on the coordinator's host)"
        )


def start(
    coordinator=None,
    num_processes=None,
    process_id=None,
    timeout=INIT_TIMEOUT,
    heartbeat=HEARTBEAT_TIMEOUT,
):
    """Join the run: with no arguments JAX reads the cluster manager's environment (SLURM,
    Open MPI, Kubernetes, ...).  Call it before anything touches a device.  A process
    other than 0 first waits, at most ``timeout`` s, for the coordinator to answer, so that
    an unreachable one is one clear line (JAX itself would abort the process)."""
    from neural_style import backend

    if backend.name() != "jax":
        raise NeuralStyleError(
            "training across hosts needs KERAS_BACKEND=jax (jax.distributed), not "
            f"{backend.name()}; make setup BACKEND=jax"
        )
    import jax

    if coordinator and process_id:
        _wait_for(coordinator, timeout)
    jax.distributed.initialize(
        coordinator,
        num_processes,
        process_id,
        initialization_timeout=timeout,
        heartbeat_timeout_seconds=heartbeat,
    )


def _wait_for(coordinator, timeout):
    host, _, port = coordinator.rpartition(":")
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection((host.strip("[]"), int(port)), timeout=2).close()
            return
        except OSError as e:
            if time.monotonic() > deadline:
                raise NeuralStyleError(
                    f"--coordinator {coordinator}: nothing answered within {timeout} s "
                    f"({e.strerror or e}); start process 0 there first, or check the address and "
                    "port"
                ) from None
            time.sleep(0.5)


def process() -> tuple[int, int]:
    """``(index, count)`` of this process in the run; ``(0, 1)`` when it runs alone."""
    from neural_style import backend

    if backend.name() != "jax":
        return 0, 1
    import jax

    return jax.process_index(), jax.process_count()


def any_process(flag: bool) -> bool:
    """True on every process when ``flag`` is true on any (a collective: all must call it)."""
    if process()[1] == 1:
        return bool(flag)
    from jax.experimental import multihost_utils

    return bool(np.asarray(multihost_utils.process_allgather(np.array([flag]))).any())
