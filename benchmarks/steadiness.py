"""How steady on video, how blobby and how painted the style networks are (`make bench`).

For each network (the shipped style networks, and any `.keras` file given; a many-style
network once per style), on Tübingen, which no training image comes from:

- the warping error on a pan (3 px per frame) and on a still scene, both with sensor noise
  (2 levels), against the input's (`neural_style.evaluate`), and their ratio;
- the share of the result (512 px) in flat bright patches, beside the photo's and the
  painting's;
- the perceptual style loss of the result (256 px) against its painting.

Appends a section to benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from bench import write_report  # noqa: E402


def styles_of(network):
    names = network.meta.get("config", {}).get("style_names")
    return [(n, {"style": n}) for n in names] if names else [(network.meta.get("config", {}).get("style") or "starry_night", {})]


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("networks", nargs="*", help=".keras files or shipped names (default: the shipped style networks)")
    p.add_argument("--photo", default="tubingen")
    p.add_argument("--output", default=str(HERE / "RESULTS.md"))
    args = p.parse_args()

    from neural_style import data, evaluate, inference

    names = args.networks or [n for n, e in inference.shipped_models().items() if e.get("config", {}).get("task") != "superres"]
    photo = data.load(args.photo)
    big, small = data.load(args.photo, size=512), data.load(args.photo, size=256)
    lines = [f"## Steadiness, flat bright patches and style loss on {args.photo}, {time.strftime('%Y-%m-%d')}", "",
             "Command: `python benchmarks/steadiness.py " + " ".join(args.networks) + "`. Warping error: mean |frame t+1 - frame t "
             f"moved by the known motion| (0..255) over 8 frames at {evaluate.CLIP_SIZE[0]}x{evaluate.CLIP_SIZE[1]}, the result's "
             f"over the input's (a pan of {evaluate.PAN_STEP} px per frame; a still scene; both with {evaluate.NOISE:g} levels of sensor noise). "
             f"Flat bright: share of pixels whose 9x9 neighbourhood is brighter than 170 and varies by less than 4 levels "
             f"(the photo: {evaluate.flat_bright_share(big):.2%}).", "",
             "| network | style | pan: result / input (ratio) | still: result / input (ratio) | flat bright (painting) | style loss |",
             "|---|---|---|---|---|---|"]  # fmt: skip
    for name in names:
        network = inference.load(name)
        for style, looks in styles_of(network):
            st = evaluate.steadiness(network, photo, **looks)
            painting = data.load(style, size=512)
            flat = evaluate.flat_bright_share(network.apply(big, **looks))
            loss = evaluate.style_distance(network.apply(small, **looks), painting)
            pan, still = st["pan"], st["still"]
            lines.append(f"| {Path(str(name)).stem} | {style} | {pan[0]:.1f} / {pan[1]:.1f} ({pan[2]:.1f}) | {still[0]:.1f} / {still[1]:.1f} ({still[2]:.1f}) | "
                         f"{flat:.2%} ({evaluate.flat_bright_share(painting):.2%}) | {loss:.0f} |")  # fmt: skip
            print(lines[-1], flush=True)
    lines.append("")
    write_report("\n".join(lines), args.output)


if __name__ == "__main__":
    main()
