"""How painted, how steady on video and how blobby the style networks are (`make bench`).

For each network (the shipped style networks, and any `.keras` file given; a many-style
network once per style), on Tübingen, which no training image comes from:

- the texture of the result (512 px) where the photo is flat, as a share of the painting's
  own (`evaluate.texture_where_flat`); with `--optimisation`, Gatys' optimisation's too;
- the warping error on a pan (3 px per frame) and on a still scene, both with sensor noise
  (2 levels), against the input's (`neural_style.evaluate`), and their ratio;
- the share of the result (512 px) in flat bright patches, beside the photo's and the
  painting's;
- the perceptual style loss of the result (256 px) against its painting;
- whether it both paints and stays steady (`evaluate.paints_steadily`).

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
    return (
        [(n, {"style": n}) for n in names]
        if names
        else [(network.meta.get("config", {}).get("style") or "starry_night", {})]
    )


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument(
        "networks",
        nargs="*",
        help=".keras files or shipped names (default: the shipped style networks)",
    )
    p.add_argument("--photo", default="tubingen")
    p.add_argument("--output", default=str(HERE / "RESULTS.md"))
    p.add_argument(
        "--optimisation",
        action="store_true",
        help="also Gatys' optimisation at 512 px per style (minutes per style on a CPU)",
    )
    args = p.parse_args()

    from neural_style import data, evaluate, images, inference, transfer

    names = args.networks or [
        n
        for n, e in inference.shipped_models().items()
        if e.get("config", {}).get("task") != "superres"
    ]
    photo = data.load(args.photo)
    big, small = data.load(args.photo, size=512), data.load(args.photo, size=256)
    t, photo_flat = evaluate.TARGETS, evaluate.flat_bright_share(big)
    lines = [
        f"## Texture, steadiness, flat bright patches and style loss on {args.photo}, "
        f"{time.strftime('%Y-%m-%d')}",
        "",
        "Command: `python benchmarks/steadiness.py "
        + " ".join(args.networks)
        + "`. Texture: the result's local spread of luma "
        f"(7x7 px) where the photo is flat ({evaluate.flat_mask(big).mean():.0%} of it, the sky "
        "and calm water), over the painting's mean spread, at 512 px (target at least "
        f"{t['texture']}). Warping error: mean |frame t+1 - frame t moved by the known motion| "
        f"(0..255) over 8 frames at {evaluate.CLIP_SIZE[0]}x{evaluate.CLIP_SIZE[1]}, the result's "
        f"over the input's (a pan of {evaluate.PAN_STEP} px per frame, target at most {t['pan']}; "
        f"a still scene, at most {t['still']}; both with {evaluate.NOISE:g} levels of sensor "
        "noise). Flat bright: share of pixels whose 9x9 neighbourhood is brighter than 170 and "
        f"varies by less than 4 levels (the photo: {photo_flat:.2%}); flat dark: darker than 50, "
        "where the photo is lit (above 100); blobs: the two together, target at most "
        f"{t['blobs']:.1%} more than the photo's flat bright.",
        "",
        "| network | style | texture where flat | pan: result / input (ratio) | still: result / "
        "input (ratio) | flat bright (painting) | flat dark | style loss | paints steadily |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name in names:
        network = inference.load(name)
        for style, looks in styles_of(network):
            painting = data.load(style, size=512)
            result = network.apply(big, **looks)
            texture = evaluate.texture_where_flat(result, big, painting)
            st = evaluate.steadiness(network, photo, **looks)
            flat, dark = evaluate.flat_bright_share(result), evaluate.flat_dark_share(result, big)
            loss = evaluate.style_distance(network.apply(small, **looks), painting)
            verdict = evaluate.paints_steadily(texture, st, blobs=(flat + dark, photo_flat))
            missed = ", ".join(k for k, ok in verdict.items() if not ok)
            pan, still = st["pan"], st["still"]
            lines.append(
                f"| {Path(str(name)).stem} | {style} | {texture:.2f} | {pan[0]:.1f} / "
                f"{pan[1]:.1f} ({pan[2]:.1f}) | {still[0]:.1f} / {still[1]:.1f} ({still[2]:.1f}) "
                f"| {flat:.2%} ({evaluate.flat_bright_share(painting):.2%}) | {dark:.2%} | "
                f"{loss:.0f} | {'yes' if not missed else 'no: ' + missed} |"
            )
            print(lines[-1], flush=True)
    if args.optimisation:
        lines += [
            "",
            "Gatys' optimisation (the lesson's transfer, whole photo, 512 px, 10 x 20 "
            "evaluations): texture where flat, style loss",
            "",
            "| style | texture where flat | style loss |",
            "|---|---|---|",
        ]
        for style in ("shipwreck", "starry_night", "the_scream", "woman_with_hat"):
            painting = data.load(style, size=512)
            result = transfer.style_transfer(
                big, painting, crop_content=False, seed=0, verbose=False
            ).image
            Path("results").mkdir(exist_ok=True)
            images.save_image(Path("results") / f"optimisation_{style}.png", result)  # to look at
            texture = evaluate.texture_where_flat(result, big, painting)
            small = images.resize(result, size=256, resample="bicubic")
            lines.append(
                f"| {style} | {texture:.2f} | {evaluate.style_distance(small, painting):.0f} |"
            )
            print(lines[-1], flush=True)
    lines.append("")
    write_report("\n".join(lines), args.output)


if __name__ == "__main__":
    main()
