"""Figures 1-3 of Gatys et al. 2015 at the paper's scale (`make figures-paper`).

    python figures/paper.py [--figure 1 2 3] [--size 512] [--size-fig3 384] [--evals 600]
    [--evals-fig3 600]

Every panel is run from white noise with one continuous L-BFGS run (``optimizer="lbfgs"``,
as the paper ran it; ``lbfgs-device`` on a GPU) for ``--evals`` evaluations (``--evals-fig3``
for Figure 3's twenty smaller panels: about three hours for 600 on two cores), reported in
blocks of 100 so that the relative change of the loss over the last 100 evaluations says
whether it has settled.  Each finished panel is saved in results/paper/figK/ (PNG and JSON)
and not run again with the same budget; given a larger budget, a kept panel is continued
from its image, so the job can stop and resume panel by panel and go on later; a
figure's composite, figures/paper_figK.png, is drawn once all its panels exist, every panel
at full size, and figures/paper_figK.json records each panel's budget, evaluations, time
and settling, and the notes.
(figures/gatys_figK.png are the notebook's quick 128-192 px versions, from `make figures`.)

Measured, not only looked at: Figure 1's content reconstructions from conv1_1 .. conv3_1
get their PSNR against the photo, its style reconstructions their final style loss relative
to the start; Figure 3's panels their content loss (block4_conv2) against the photo, across
each row, to find the column where the photo appears.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
OUT = {"results": HERE.parent / "results" / "paper", "figures": HERE}
BLOCK = 100  # evaluations per reported block
RATIOS = (1e-5, 1e-4, 1e-3, 1e-2)
FIG2_STYLES = ("shipwreck", "starry_night", "the_scream", "woman_with_hat")


def style_sets():
    return [tuple(f"block{b}_conv1" for b in range(1, k + 1)) for k in range(1, 6)]


def panel(fig, name, make, run):
    """The panel ``make(run)`` -> Result makes, kept in results/paper/fig/name.png.

    A kept panel with the same evaluation budget, or whose L-BFGS converged, is returned as
    it is.  One with a smaller budget is continued from its image for the evaluations it
    lacks (a fresh L-BFGS history: a warm restart, as the lesson's loop restarts every 20);
    one with a larger budget is made again.  Returns (image, info)."""
    from neural_style.images import load_image, save_image

    png, meta = OUT["results"] / fig / f"{name}.png", OUT["results"] / fig / f"{name}.json"
    budget = run["iterations"] * run["maxfun"]
    kept = None
    if png.exists() and meta.exists():
        info = json.loads(meta.read_text())
        done = info.get("budget", budget)  # panels from before the field: kept
        if done == budget or info["relative_change_last_100"] is None:
            return load_image(png), info
        if done < budget:
            kept = info
            print(f"{fig}/{name}: kept after {done} evaluations, continued to {budget}", flush=True)
        else:
            print(
                f"{fig}/{name}: kept from a budget of {done} evaluations, made again with {budget}",
                flush=True,
            )
    start = time.perf_counter()
    r = make(
        {**run, "init": load_image(png), "iterations": (budget - kept["budget"]) // run["maxfun"]}
        if kept
        else run
    )
    if r.stopped:  # Ctrl-C, a signal or a non-finite loss: not a finished panel, keep nothing
        raise SystemExit(
            f"{fig}/{name}: stopped ({r.stopped}) after {r.n_evals} evaluations; not kept"
        )
    losses = (kept["losses"] if kept else []) + [float(v) for v in r.losses]
    # None: L-BFGS met its own tolerance within the first block (converged, nothing to settle)
    settle = (losses[-2] - losses[-1]) / losses[-2] if len(losses) > 1 else None
    info = {
        "losses": losses,
        "budget": budget,
        "evaluations": r.n_evals + (kept["evaluations"] if kept else 0),
        "seconds": time.perf_counter() - start + (kept["seconds"] if kept else 0),
        "continued_from": kept["budget"] if kept else None,
        "relative_change_last_100": settle,
        "stopped": r.stopped,
    }
    save_image(png, r.image)
    meta.write_text(json.dumps(info, indent=1))
    change = (
        f"last {BLOCK} evaluations {settle:+.2%}"
        if settle is not None
        else f"converged after {r.n_evals} evaluations"
    )
    print(
        f"{fig}/{name}: loss {losses[0]:.4g} -> {losses[-1]:.4g}, {change}, {info['seconds']:.0f} "
        "s",
        flush=True,
    )
    return r.image, info


def psnr(a, b):
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return 10 * math.log10(255**2 / mse) if mse else float("inf")


def figure1(run, size):
    from neural_style import data, transfer

    photo = data.load("tubingen", size=size)
    painting = data.load("starry_night", size=size)
    contents, styles, notes = [], [], []
    for b in range(1, 6):
        img, _ = panel(
            "fig1",
            f"content_conv{b}_1",
            lambda kw, b=b: transfer.recreate_content(photo, content_layer=f"block{b}_conv1", **kw),
            run,
        )
        contents.append(img)
        if b <= 3:
            notes.append(f"content conv{b}_1: PSNR {psnr(img, photo):.1f} dB against the photo")
    for layers in style_sets():
        img, info = panel(
            "fig1",
            f"style_upto_conv{len(layers)}_1",
            lambda kw, layers=layers: transfer.recreate_style(painting, style_layers=layers, **kw),
            run,
        )
        styles.append(img)
        notes.append(
            f"style up to conv{len(layers)}_1: final loss "
            f"{info['losses'][-1] / info['losses'][0]:.2e} of the first block's"
        )
    cols = [f"{'abcde'[k]}: conv{k + 1}_1" for k in range(5)]
    return [styles, contents], ["style\nreconstructions", "content\nreconstructions"], cols, notes


def figure2(run, size, styles=FIG2_STYLES):
    from neural_style import data, transfer

    photo = data.load("tubingen", size=size)
    h, w = photo.shape[:2]
    cw, lw = transfer.paper_weights(1e-3, style_sets()[-1], "block4_conv2", h, w, paper_size=512)
    row = [photo]
    for name in styles:
        style = data.load(name, size=size)
        img, _ = panel(
            "fig2",
            name,
            lambda kw, style=style: transfer.style_transfer(
                photo,
                style,
                style_layers=style_sets()[-1],
                layer_weights=lw,
                content_weight=cw,
                crop_content=False,
                **kw,
            ),
            run,
        )
        row.append(img)
    titles = {
        "shipwreck": "B: Shipwreck",
        "starry_night": "C: Starry Night",
        "the_scream": "D: The Scream",
        "woman_with_hat": "Woman with a Hat",
    }
    cols = ["A: photograph"] + [titles[n] for n in styles]
    return [row], None, cols, []


def figure3(run, size, rows=(1, 2, 3, 4, 5)):
    from neural_style import data, transfer
    from neural_style.images import preproc
    from neural_style.vgg16_avg import VGG16_Avg, feature_model

    photo = data.load("tubingen", size=size)
    painting = data.load("starry_night", size=size)
    h, w = photo.shape[:2]
    acts = feature_model(VGG16_Avg(), ["block4_conv2"])
    target = np.asarray(acts(preproc(photo[None].astype("float32"))))
    panels, notes = [], []
    for layers in [style_sets()[k - 1] for k in rows]:
        row, dist = [], []
        for ratio in RATIOS:
            cw, lw = transfer.paper_weights(ratio, layers, "block4_conv2", h, w, paper_size=512)
            img, _ = panel(
                "fig3",
                f"upto_conv{len(layers)}_1_ratio_{ratio:g}",
                lambda kw, cw=cw, lw=lw, layers=layers: transfer.style_transfer(
                    photo,
                    painting,
                    style_layers=layers,
                    layer_weights=lw,
                    content_weight=cw,
                    crop_content=False,
                    **kw,
                ),
                run,
            )
            row.append(img)
            dist.append(
                float(
                    np.mean((np.asarray(acts(preproc(img[None].astype("float32")))) - target) ** 2)
                )
            )
        panels.append(row)
        notes.append(
            f"up to conv{len(layers)}_1: content loss against the photo by ratio "
            + ", ".join(f"{d:.3g}" for d in dist)
        )
    return (
        panels,
        [f"{chr(64 + k)}: up to conv{k}_1" for k in rows],
        [f"{r:g}" for r in RATIOS],
        notes,
    )


def record(k, notes):
    """figures/paper_figK.json: each panel's evaluations, seconds, loss, settling; the notes."""
    panels = {}
    for meta in sorted((OUT["results"] / f"fig{k}").glob("*.json")):
        info = json.loads(meta.read_text())
        panels[meta.stem] = {
            "budget": info.get("budget"),
            "evaluations": info["evaluations"],
            "seconds": round(info["seconds"]),
            "loss_first_block": info["losses"][0],
            "loss_last": info["losses"][-1],
            "continued_from": info.get("continued_from"),
            "relative_change_last_100": info["relative_change_last_100"],
            "converged_before_the_budget": info["relative_change_last_100"] is None,
        }
    path = OUT["figures"] / f"paper_fig{k}.json"
    path.write_text(json.dumps({"panels": panels, "notes": notes}, indent=1))
    return path


def compose(k, rows, row_titles, col_titles):
    """The figure with every panel at full size (about 100 px per inch at dpi 100)."""
    import matplotlib.pyplot as plt

    from neural_style.viz import labelled_grid, save_figure

    side = max(rows[0][0].shape[:2]) / 100 + 0.2  # inches per panel: full pixels at dpi 100
    fig = labelled_grid(
        rows, row_titles, col_titles, f"Gatys et al. 2015, Figure {k} (VGG16)", size=side
    )
    path = save_figure(fig, OUT["figures"] / f"paper_fig{k}.png", dpi=100)
    plt.close(fig)
    return path


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--figure", type=int, nargs="+", default=[2, 1, 3], choices=(1, 2, 3))
    p.add_argument("--size", type=int, default=512, help="longest side of Figures 1 and 2")
    p.add_argument(
        "--size-fig3", type=int, default=384, help="longest side of Figure 3 (20 panels)"
    )
    p.add_argument(
        "--evals",
        type=int,
        default=600,
        help="evaluations per panel of Figures 1 and 2, in blocks of 100",
    )
    p.add_argument(
        "--evals-fig3", type=int, default=600, help="evaluations per panel of Figure 3 (20 panels)"
    )
    p.add_argument(
        "--fig3-rows",
        type=int,
        nargs="+",
        default=[1, 2, 3, 4, 5],
        choices=range(1, 6),
        help="Figure 3's rows (k: style up to convk_1)",
    )
    p.add_argument(
        "--fig2-styles",
        nargs="+",
        default=list(FIG2_STYLES),
        choices=FIG2_STYLES,
        help="Figure 2's paintings",
    )
    p.add_argument(
        "--results", type=Path, default=OUT["results"], help="where finished panels are kept"
    )
    p.add_argument("--figures", type=Path, default=OUT["figures"], help="where the composites go")
    args = p.parse_args(argv)
    OUT.update(results=args.results, figures=args.figures)

    from neural_style import backend

    optimizer = "lbfgs-device" if backend.on_gpu() else "lbfgs"

    def run(evals):
        return dict(
            iterations=max(1, evals // BLOCK),
            maxfun=BLOCK,
            optimizer=optimizer,
            seed=0,
            verbose=False,
        )

    print(f"{backend.name()} on {backend.device()}, {optimizer}", flush=True)
    makers = {
        1: lambda: figure1(run(args.evals), args.size),
        2: lambda: figure2(run(args.evals), args.size, args.fig2_styles),
        3: lambda: figure3(run(args.evals_fig3), args.size_fig3, args.fig3_rows),
    }
    for k in args.figure:
        rows, row_titles, col_titles, notes = makers[k]()
        for line in notes:
            print(f"figure {k}: {line}")
        print(compose(k, rows, row_titles, col_titles), record(k, notes), flush=True)


if __name__ == "__main__":
    main()
