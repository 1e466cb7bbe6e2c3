"""Build the README gallery with the neural-style command (`make gallery`).

For each style: run `neural-style --content tubingen --style NAME --size 384 --seed 0`,
then write figures/gallery_NAME.png: content | style | result, as thumbnails.  Then the
real-time row, figures/realtime_starry_night.png: the same photo (which the shipped
network never saw), the optimisation's result and `neural-style --model starry_night`'s,
each with its time.  `--realtime` makes only that row (reusing an optimisation result
already in results/gallery/).  Last, figures/realtime_looks.png: the network's result with
`--strength 0.6` and with `--original-colors` (`--looks` makes only that row).
"""

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE.parent / "results" / "gallery"
STYLES = ["starry_night", "shipwreck", "the_scream"]
CONTENT = "tubingen"


def neural_style(*args):
    print("$ neural-style", " ".join(args), flush=True)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "neural_style", *args], check=True)
    return time.perf_counter() - start


def optimisation(style):
    out = RESULTS / f"{CONTENT}_{style}.png"
    seconds = neural_style(
        "--content", CONTENT, "--style", style, "--size", "384", "--seed", "0", "-o", str(out)
    )
    return out, seconds


def realtime_row():
    from neural_style import data
    from neural_style.images import load_image, save_image
    from neural_style.viz import labelled_grid, save_figure

    opt = RESULTS / f"{CONTENT}_starry_night.png"
    opt_s = None if opt.exists() else optimisation("starry_night")[1]
    fast = RESULTS / f"{CONTENT}_starry_night_realtime.png"
    fast_s = neural_style(
        "--model", "starry_night", "--content", CONTENT, "--size", "384", "-o", str(fast)
    )
    content = data.load(CONTENT, size=384)
    opt_title = "optimisation, 6 x 20 evaluations" + (f" ({opt_s:.0f} s)" if opt_s else "")
    titles = [
        "Tübingen (never seen by the network)",
        opt_title,
        f"real-time network, one pass (whole command {fast_s:.1f} s)",
    ]
    fig = labelled_grid([[content, load_image(opt), load_image(fast)]], col_titles=titles, size=4.2)
    print(save_figure(fig, HERE / "realtime_starry_night.png"))
    full = RESULTS / f"{CONTENT}_starry_night_realtime_full.png"
    neural_style("--model", "starry_night", "--content", CONTENT, "-o", str(full))
    print(save_image(HERE / "realtime_starry_night_full.jpg", load_image(full)))


def looks_row():
    from neural_style import data
    from neural_style.images import load_image
    from neural_style.viz import labelled_grid, save_figure

    looks = {
        "the network": [],
        "--strength 0.6": ["--strength", "0.6"],
        "--original-colors": ["--original-colors"],
    }
    images = []
    for k, extra in enumerate(looks.values()):
        out = RESULTS / f"{CONTENT}_starry_night_realtime_look{k}.png"
        neural_style(
            "--model", "starry_night", "--content", CONTENT, "--size", "384", *extra, "-o", str(out)
        )
        images.append(load_image(out))
    fig = labelled_grid(
        [[data.load(CONTENT, size=384), *images]], col_titles=["Tübingen", *looks], size=4.2
    )
    print(save_figure(fig, HERE / "realtime_looks.png"))


def main():
    from neural_style import data
    from neural_style.images import load_image, save_image
    from neural_style.viz import thumbnail_row

    if "--looks" not in sys.argv:
        if "--realtime" not in sys.argv:
            for style in STYLES:
                out, _ = optimisation(style)
                row = thumbnail_row(
                    [data.load(CONTENT), data.load(style), load_image(out)], height=200
                )
                print(save_image(HERE / f"gallery_{style}.png", row))
        realtime_row()
    looks_row()


if __name__ == "__main__":
    main()
