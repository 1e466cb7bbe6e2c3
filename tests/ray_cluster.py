"""Two Ray nodes on 127.0.0.1 (``ray.cluster_utils.Cluster``) for ``test_serve.py``: prints
the head's address, removes the second node when it reads "remove" (printing "removed"),
and shuts the cluster down at the end of its input or after ``sys.argv[1]`` seconds."""

import os
import sys
import threading

os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = (
    "0"  # before Ray's import: every node on 127.0.0.1
)
os.environ["RAY_USAGE_STATS_ENABLED"] = "0"
os.environ.setdefault("RAY_raylet_start_wait_time_s", "300")  # a loaded machine starts nodes slowly

from ray.cluster_utils import Cluster  # noqa: E402

cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1, "include_dashboard": False})
second = cluster.add_node(num_cpus=1)
cluster.wait_for_nodes()
print(cluster.address, flush=True)
threading.Timer(float(sys.argv[1]), lambda: os._exit(1)).start()  # never outlive the test
for line in sys.stdin:
    if line.strip() == "remove":
        cluster.remove_node(second)
        print("removed", flush=True)
cluster.shutdown()
os._exit(0)
