"""figures/paintings3_tradeoff.png: texture where the photo is flat against the pan's
warping ratio, per style, for the many-style network trained on with several weights of
the stability term, beside the one-style network: the trade-off `docs/results.md` shows.

Reads the tables `benchmarks/steadiness.py --output TABLE.md` writes (one network each,
or several), so that the figure is drawn from the measured numbers without measuring
again:

    cd release/training/tradeoff
    python ../../../figures/tradeoff.py stability_1.md stability_3.md stability_10.md
    stability_30.md \
        --label 1 3 10 30 --reference starry_night.md
"""

import argparse
import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

# | network | style | texture | pan: result / input (ratio) | still: ... (ratio) | ...
ROW = re.compile(
    r"^\| (?P<net>[^|]+) \| (?P<style>\w+) \| (?P<texture>[\d.]+) \| [\d.]+ / [\d.]+ "
    r"\((?P<pan>[\d.]+)\) \| [\d.]+ / [\d.]+ \((?P<still>[\d.]+)\) \|"
)
TEXTURE_TARGET, PAN_TARGET = 0.33, 3.0  # evaluate.TARGETS, as the tables say


def rows(path) -> dict:
    """{style: (texture, pan ratio, still ratio)} from a steadiness table (a style's last row)."""
    found = {}
    for line in Path(path).read_text().splitlines():
        match = ROW.match(line)
        if match:
            found[match["style"]] = tuple(float(match[k]) for k in ("texture", "pan", "still"))
    return found


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("tables", nargs="+", help="steadiness tables, one per stability weight")
    p.add_argument("--label", nargs="+", required=True, help="the stability weight of each table")
    p.add_argument("--reference", help="a table of the one-style network(s)")
    p.add_argument("-o", "--output", default=str(Path(__file__).parent / "paintings3_tradeoff.png"))
    args = p.parse_args(argv)
    points = [(label, rows(t)) for label, t in zip(args.label, args.tables)]
    styles = sorted({s for _, r in points for s in r})
    fig, ax = plt.subplots(figsize=(7.5, 5))
    for k, style in enumerate(styles):
        curve = [(r[style][1], r[style][0], label) for label, r in points if style in r]
        ax.plot(
            [c[0] for c in curve],
            [c[1] for c in curve],
            "o-",
            color=f"C{k}",
            label=f"paintings3, {style}",
        )
        for x, y, label in curve:
            ax.annotate(
                label, (x, y), textcoords="offset points", xytext=(4, 4), fontsize=8, color=f"C{k}"
            )
    if args.reference:
        for style, (texture, pan, _) in rows(args.reference).items():
            ax.plot([pan], [texture], "k*", markersize=11)
            ax.annotate(
                f"one-style {style}",
                (pan, texture),
                textcoords="offset points",
                xytext=(-110, -4),
                fontsize=8,
            )
    ax.axhline(TEXTURE_TARGET, color="grey", lw=0.8, ls="--")
    ax.axvline(PAN_TARGET, color="grey", lw=0.8, ls="--")
    ax.set_xlabel("warping ratio on a 3 px-per-frame pan\n(lower: steadier; target at most 3)")
    ax.set_ylabel("texture where the photo is flat\n(higher: paints more; target at least 0.33)")
    ax.set_title("The many-style network by stability weight (numbers on the points)", fontsize=10)
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    fig.savefig(args.output, dpi=110)
    print(args.output)


if __name__ == "__main__":
    main()
