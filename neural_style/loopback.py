"""Ray on the loopback address only, for a server that listens on 127.0.0.1: nothing of
it reachable from the machine's network (``neural-style serve`` without ``--address``).
Nothing here imports Ray at import time: ``keep_ray_local`` must run before Ray's import."""

from __future__ import annotations

import os

# "0": Ray's node address is the loopback one, as on a laptop; the command sets it, before Ray
# is imported, for a local cluster (Ray reads it then and passes it on to every process it starts).
LOCAL_ONLY = "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"


def replica_grpc_on_loopback():
    """Ray Serve 2.60 starts each replica's inter-deployment gRPC server on every
    interface ("[::]:0") whatever the node's address; on a loopback-only cluster, bind it
    to 127.0.0.1 (called in each replica before Ray starts that server)."""
    if os.environ.get(LOCAL_ONLY) != "0":
        return
    from ray.serve._private import replica

    bind = replica.add_port_to_grpc_server
    if not getattr(bind, "loopback", False):

        def on_loopback(server, address):
            return bind(server, "127.0.0.1:0" if address == "[::]:0" else address)

        on_loopback.loopback = True
        replica.add_port_to_grpc_server = on_loopback


def keep_ray_local():
    """Ray's node address on a local cluster: the loopback one (call before importing Ray)."""
    os.environ[LOCAL_ONLY] = "0"
