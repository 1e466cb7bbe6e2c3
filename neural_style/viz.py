"""Pictures of a run: iteration grids, loss curves, and animations that need no ffmpeg."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from neural_style.files import atomic_write
from neural_style.images import to_uint8


def plot_grid(images, titles=None, cols=5, size=2.4):
    """A matplotlib figure showing RGB uint8 images in a grid (one per outer iteration)."""
    import matplotlib.pyplot as plt

    rows = math.ceil(len(images) / cols)
    cols = min(cols, len(images))
    aspect = images[0].shape[0] / images[0].shape[1]
    fig, axes = plt.subplots(
        rows, cols, figsize=(cols * size, rows * size * aspect + 0.3), squeeze=False
    )
    for k, ax in enumerate(axes.flat):
        ax.axis("off")
        if k < len(images):
            ax.imshow(to_uint8(images[k]))
            ax.set_title(titles[k] if titles else f"iteration {k}", fontsize=9)
    fig.tight_layout()
    return fig


def labelled_grid(rows, row_titles=None, col_titles=None, title=None, size=2.2):
    """A figure of images in rows (lists of RGB uint8, None for a blank cell), with a title
    above each column and a label left of each row, e.g. a parameter sweep."""
    import matplotlib.pyplot as plt

    first = next(img for row in rows for img in row if img is not None)
    h, w = first.shape[:2]
    fig, axes = plt.subplots(
        len(rows),
        len(rows[0]),
        squeeze=False,
        figsize=(size * len(rows[0]) * max(w / h, 0.5), size * len(rows) + 0.6),
    )
    for r, images in enumerate(rows):
        for c, img in enumerate(images):
            ax = axes[r][c]
            ax.set_xticks([])
            ax.set_yticks([])
            if img is not None:
                ax.imshow(to_uint8(img))
            if r == 0 and col_titles:
                ax.set_title(col_titles[c], fontsize=9)
            if c == 0 and row_titles:
                ax.set_ylabel(row_titles[r], fontsize=9)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_losses(losses, title="loss", ax=None):
    """Loss after each outer iteration, on a log scale."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(5, 3))
    ax.semilogy(range(len(losses)), losses, marker="o")
    ax.set_xlabel("outer iteration (fmin_l_bfgs_b, maxfun=20)")
    ax.set_ylabel("loss")
    ax.set_title(title)
    ax.grid(True, which="both", alpha=0.3)
    ax.figure.tight_layout()
    return ax.figure


def animate(images, interval=300):
    """A matplotlib animation of the iterations; ``.to_jshtml()`` plays it in a notebook."""
    import matplotlib.pyplot as plt
    from matplotlib import animation

    h, w = images[0].shape[:2]
    fig = plt.figure(figsize=(4 * w / max(h, w), 4 * h / max(h, w)))
    ax = fig.add_axes([0, 0, 1, 1])
    ax.axis("off")
    shown = ax.imshow(to_uint8(images[0]))

    def frame(k):
        shown.set_data(to_uint8(images[k]))
        return (shown,)

    anim = animation.FuncAnimation(fig, frame, frames=len(images), interval=interval, blit=True)
    plt.close(fig)  # the notebook shows the animation, not a stray still figure
    return anim


def save_gif(path, images, duration_ms=300) -> Path:
    """Write an animated GIF with one frame per image (RGB uint8), atomically, with Pillow."""
    from PIL import Image

    frames = [Image.fromarray(to_uint8(im)) for im in images]
    return atomic_write(
        path,
        lambda tmp: frames[0].save(
            tmp, format="GIF", save_all=True, append_images=frames[1:], duration=duration_ms, loop=0
        ),
    )


def side_by_side(images, titles, size=3.0):
    """Inputs and result next to each other, e.g. content | style | result."""
    return plot_grid(images, titles=titles, cols=len(images), size=size)


def save_figure(fig, path, dpi=72) -> Path:
    """Save a matplotlib figure as PNG atomically."""
    return atomic_write(
        path, lambda tmp: fig.savefig(tmp, format="png", dpi=dpi, bbox_inches="tight")
    )


def thumbnail_row(images, height=160) -> np.ndarray:
    """Images resized to one height and joined left to right, with a white gap."""
    from PIL import Image

    parts = []
    for im in images:
        im = Image.fromarray(to_uint8(im))
        im = im.resize((round(im.width * height / im.height), height), Image.Resampling.LANCZOS)
        parts += [np.asarray(im), np.full((height, 6, 3), 255, np.uint8)]
    return np.concatenate(parts[:-1], axis=1)


def jshtml(images, interval=300):
    """HTML of an animation of ``images`` that plays in a notebook without ffmpeg
    (matplotlib ``to_jshtml``), JPEG frames to keep the notebook small."""
    import matplotlib.pyplot as plt

    with plt.rc_context({"animation.frame_format": "jpeg"}):
        return animate(images, interval=interval).to_jshtml(default_mode="loop")


def summary_figure(inputs, result, images, title=""):
    """Inputs and result in the top row, every iteration below: one lecture figure.

    ``inputs`` is a list of (title, RGB image); ``images`` the per-iteration RGB images.
    """
    import matplotlib.pyplot as plt

    cols = max(len(inputs) + 1, min(len(images), 5))
    rows = 1 + math.ceil(len(images) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(cols * 2.6, rows * 2.2), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, (name, img) in zip(axes[0], [*inputs, ("result", result)]):
        ax.imshow(to_uint8(img))
        ax.set_title(name, fontsize=10)
    for k, img in enumerate(images):
        ax = axes[1 + k // cols, k % cols]
        ax.imshow(to_uint8(img))
        ax.set_title(f"iteration {k}", fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def show_run(images, losses, title, out_dir=None):
    """In a notebook: the iteration grid, the loss curve and an animation; with
    ``out_dir``, also write ``animation.gif`` there.  Returns the animation's HTML."""
    import matplotlib.pyplot as plt
    from IPython.display import HTML, display

    for fig in (plot_grid(images), plot_losses(losses, title=title)):
        display(fig)
        plt.close(fig)  # shown once, not again by the inline backend
    if out_dir is not None:
        print("GIF:", save_gif(Path(out_dir) / "animation.gif", images))
    return HTML(jshtml(images))
