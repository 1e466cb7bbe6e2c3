"""Execute notebooks top to bottom with nbclient, as `make notebooks` and the tests do.

    python notebooks/execute.py [--in-place] NOTEBOOK...

Runs each notebook in its own folder; with --in-place the outputs are written back to the
file (atomically), so readers see the figures without running anything.
"""

import argparse
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from neural_style.files import atomic_write


def execute(path, in_place=False, timeout=3600):
    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    ).execute()
    seconds = time.perf_counter() - start
    if in_place:
        atomic_write(path, lambda tmp: nbformat.write(nb, tmp))
    return nb, seconds


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--in-place", action="store_true", help="write the outputs back to the notebook"
    )
    parser.add_argument("notebooks", nargs="+")
    args = parser.parse_args(argv)
    for name in args.notebooks:
        _, seconds = execute(name, in_place=args.in_place)
        size = Path(name).stat().st_size / 1e6
        print(
            f"{name}: executed in {seconds:.0f} s" + (f", {size:.1f} MB" if args.in_place else "")
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
