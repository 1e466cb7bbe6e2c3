"""Ship a trained network with the package: copy it into neural_style/models/ and record
its sha256 and how it was trained in models/manifest.json.

    python figures/ship_network.py NET.keras NAME --command "neural-style train ..." \
        --notes "data, steps, time, machine"
"""

import argparse
import hashlib
import json
import shutil
from pathlib import Path

import numpy as np

MODELS = Path(__file__).resolve().parents[1] / "neural_style" / "models"


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("network")
    p.add_argument("name")
    p.add_argument("--command", required=True, help="the neural-style train command that made it")
    p.add_argument("--notes", default="", help="data, steps, time, machine")
    args = p.parse_args(argv)
    src = Path(args.network)
    dest = MODELS / f"{args.name}.keras"
    MODELS.mkdir(exist_ok=True)
    shutil.copyfile(src, dest)
    meta = {}
    ckpt = Path(str(src) + ".ckpt.npz")
    if ckpt.exists():
        with np.load(ckpt) as z:
            meta = json.loads(str(z["meta"]))
    manifest_path = MODELS / "manifest.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    manifest[args.name] = {
        "file": dest.name,
        "sha256": hashlib.sha256(dest.read_bytes()).hexdigest(),
        "bytes": dest.stat().st_size,
        "command": args.command,
        "epochs": meta.get("epoch"),
        "config": meta.get("config"),
        "notes": args.notes,
    }
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n")
    print(f"{dest} ({dest.stat().st_size / 1e6:.1f} MB), sha256 {manifest[args.name]['sha256']}")


if __name__ == "__main__":
    main()
