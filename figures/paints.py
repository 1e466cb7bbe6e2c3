"""figures/paints_side_by_side.jpg and figures/paints_pan.jpg: does the many-style network
paint?  Tübingen at 512 px, full size: Gatys' optimisation in The Starry Night (the
lesson's transfer, 10 x 20 evaluations), the one-style ``starry_night`` network, and each
style of the many-style network; then three consecutive frames of a pan (3 px per frame,
``evaluate.pan_clip``) painted by the many-style network in two styles.

    python figures/paints.py [--network paintings]
"""

import argparse
from pathlib import Path

from neural_style import data, evaluate, inference, transfer, viz

HERE = Path(__file__).resolve().parent


def side_by_side(network, label, photo):
    """The optimisation, the one-style network and each style of ``network``, with titles."""
    optimised = transfer.style_transfer(
        photo, data.load("starry_night"), crop_content=False, seed=0, verbose=False
    ).image
    panels = [
        (optimised, "optimisation, starry_night"),
        (inference.load("starry_night").apply(photo), "starry_night network"),
    ]
    for name in network.meta["config"]["style_names"]:
        panels.append((network.apply(photo, style=name), f"{label}, {name}"))
    return panels


def pan(network, photo, styles=("starry_night", "the_scream"), frames=3):
    """Rows of consecutive painted frames of a pan, one row per style."""
    clip = evaluate.pan_clip(photo, frames=frames)
    return [[network.apply(frame, style=style) for frame in clip] for style in styles]


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument(
        "--network",
        default="paintings",
        help="the many-style network: a shipped name or a .keras file",
    )
    args = p.parse_args()
    network = inference.load(args.network)
    photo = data.load("tubingen", size=512)
    panels = side_by_side(network, Path(args.network).stem, photo)
    fig = viz.plot_grid(
        [image for image, _ in panels], [title for _, title in panels], cols=2, size=6.4
    )
    fig.savefig(
        HERE / "paints_side_by_side.jpg", dpi=80, bbox_inches="tight", pil_kwargs={"quality": 88}
    )
    rows = pan(network, photo)
    fig = viz.labelled_grid(
        rows,
        row_titles=["starry_night", "the_scream"],
        col_titles=["frame t", "t + 1", "t + 2"],
        size=4.2,
    )
    fig.savefig(HERE / "paints_pan.jpg", dpi=80, bbox_inches="tight", pil_kwargs={"quality": 88})


if __name__ == "__main__":
    main()
