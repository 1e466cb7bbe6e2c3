"""``neural-style train`` across processes and hosts (``neural_style.distributed``): the
options of such a run, their check, and its start."""

from __future__ import annotations

TITLE = "across processes and hosts (KERAS_BACKEND=jax)"


def add_arguments(group) -> None:
    """The options that make one training run of several processes."""
    from neural_style import distributed

    a = group.add_argument
    a(
        "--coordinator",
        metavar="HOST:PORT",
        help=(
            "train across processes and hosts (KERAS_BACKEND=jax): the address of process 0, "
            "which listens there"
        ),
    )
    a("--num-processes", type=int, help="how many processes train together (with --coordinator)")
    a(
        "--process-id",
        type=int,
        help=(
            "this process's number, 0 to N-1; 0 runs on the coordinator's host and alone writes "
            "the network"
        ),
    )
    a(
        "--distributed",
        action="store_true",
        help=(
            "train across processes as the cluster manager's environment says (SLURM, Open MPI, "
            "...: jax.distributed.initialize() with no arguments)"
        ),
    )
    a(
        "--join-timeout",
        type=int,
        default=distributed.INIT_TIMEOUT,
        help="seconds to wait for the coordinator and every process to join",
    )
    a(
        "--heartbeat-timeout",
        type=int,
        default=distributed.HEARTBEAT_TIMEOUT,
        help="seconds after which a silent process (a host that died) ends the run on every host",
    )


def check(args) -> None:
    """One line for a cluster's options that do not go together, before any work."""
    from neural_style import distributed

    distributed.check(args.coordinator, args.num_processes, args.process_id)


def start(args) -> tuple[int, int]:
    """Join the run's processes where the options ask for it (before anything touches a
    device); this process's index and the count of processes (0, 1 alone)."""
    from neural_style import distributed

    if args.coordinator or args.distributed:
        distributed.start(
            args.coordinator,
            args.num_processes,
            args.process_id,
            args.join_timeout,
            args.heartbeat_timeout,
        )
    return distributed.process()
