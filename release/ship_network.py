"""A release step: ship a trained network with the package.  Copies it into
neural_style/models/ and records its sha256, its kind and how it was trained (read from
the file itself) in models/manifest.json, which ``inference.load`` checks before each use.

    python release/ship_network.py NET.keras NAME --command "neural-style train ..." \
        --notes "data, steps, time, machine"
"""

import argparse
import json
import shutil
from pathlib import Path

from neural_style import kinds
from neural_style.files import sha256_file

MODELS = Path(__file__).resolve().parents[1] / "neural_style" / "models"


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("network")
    p.add_argument("name")
    p.add_argument("--command", required=True, help="the neural-style train command that made it")
    p.add_argument("--notes", default="", help="data, steps, time, machine")
    args = p.parse_args(argv)
    meta = kinds.read_meta(args.network)
    if "kind" not in meta:
        raise SystemExit(
            f"{args.network}: no kind recorded; ship a network saved by `neural-style train`"
        )
    dest = MODELS / f"{args.name}{kinds.NET_SUFFIX}"
    shutil.copyfile(args.network, dest)
    manifest_path = MODELS / "manifest.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    manifest[args.name] = {
        "file": dest.name,
        "sha256": sha256_file(dest),
        "bytes": dest.stat().st_size,
        "command": args.command,
        "epochs": meta.get("epochs"),
        "config": meta.get("config"),
        "notes": args.notes,
    }
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n")
    print(
        f"{dest} ({dest.stat().st_size / 1e6:.1f} MB, {meta['kind']}), sha256 "
        f"{manifest[args.name]['sha256']}"
    )


if __name__ == "__main__":
    main()
