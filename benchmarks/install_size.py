"""What each set-up path installs, measured in this virtual environment: the files of every
distribution that ``neural-style-lesson8[EXTRAS]`` (this project) requires (the closure of its
requirements, as
pip resolved them here), summed from each distribution's RECORD.  Run inside a .venv that
has every extra (make setup BACKEND="jax torch", then make test or make bench)."""

import argparse
import re
from importlib import metadata

from packaging.requirements import Requirement

DISTRIBUTION = "neural-style-lesson8"  # setup.cfg's name
PATHS = {  # the README's set-up paths: make target -> the extras it installs
    "make setup (the lesson)": ("cpu", "offline", "photos", "notebooks", "litert"),
    "+ make serve": ("cpu", "offline", "photos", "notebooks", "litert", "serve"),
    "+ make export": ("cpu", "offline", "photos", "notebooks", "litert", "export"),
    "make test (everything)": (
        "cpu",
        "offline",
        "photos",
        "notebooks",
        "litert",
        "serve",
        "export",
        "test",
        "docs",
    ),
    '+ JAX and PyTorch (BACKEND="jax torch")': (
        "cpu",
        "offline",
        "photos",
        "notebooks",
        "litert",
        "serve",
        "export",
        "test",
        "docs",
        "jax-cpu",
        "torch-cpu",
    ),
}


def canonical(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def installed():
    return {canonical(d.metadata["Name"]): d for d in metadata.distributions()}


def closure(root, extras, dists):
    """The distributions ``root[extras]`` needs here, by canonical name."""
    seen, todo = set(), [(root, frozenset(extras))]
    while todo:
        name, wanted = todo.pop()
        dist = dists.get(canonical(name))
        if dist is None or (name, wanted) in seen:
            continue
        seen.add((name, wanted))
        for text in dist.requires or []:
            req = Requirement(text)
            env_ok = [
                req.marker is None or req.marker.evaluate({"extra": e}) for e in (wanted or {""})
            ]
            if any(env_ok):
                todo.append((req.name, frozenset(req.extras)))
    return {canonical(n) for n, _ in seen}


def size(dist) -> int:
    total = 0
    for file in dist.files or []:
        path = file.locate()
        if path.is_file():
            total += path.stat().st_size
    return total


def main():
    argparse.ArgumentParser(description=__doc__).parse_args()
    dists = installed()
    sizes = {name: size(d) for name, d in dists.items()}
    print("| set-up | packages | size |\n|---|---|---|")
    for label, extras in PATHS.items():
        names = closure(DISTRIBUTION, extras, dists)
        print(f"| {label} | {len(names)} | {sum(sizes[n] for n in names) / 1e9:.2f} GB |")


if __name__ == "__main__":
    main()
