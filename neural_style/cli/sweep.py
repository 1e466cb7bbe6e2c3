"""Parameter sweeps of the ``neural-style`` command: ``--sweep NAME=V1,V2,...``.

Each ``--sweep`` is one axis of a grid over a numeric option (``content-weight``,
``style-weight``, ``tv-weight``, ``style-scale``, ``size``, ...) or over ``style-layers``,
whose values are ``;``-separated sets of comma-separated layers.  The command runs every
setting, saves each result, draws one labelled contact sheet (rows x columns) and, with
``--logdir``, writes one TensorBoard run per setting with its hyperparameters (the HParams
dashboard), as the TensorFlow notes advise: a parent directory, a child per setting.
"""

from __future__ import annotations

import argparse
import itertools
import math
import shlex
from pathlib import Path

from neural_style.errors import NeuralStyleError

LAYER_SETS = "style-layers"  # the one non-numeric option that can be swept


def parse(text):
    """``"NAME=V1,V2"`` -> ``(NAME, ["V1", "V2"])`` (``;`` separates style-layer sets)."""
    name, sep, values = text.partition("=")
    name = name.strip().lstrip("-")
    if not sep or not name or not values.strip():
        raise argparse.ArgumentTypeError(f"{text!r} is not NAME=V1,V2,...")
    items = values.split(";" if name == LAYER_SETS else ",")
    return name, [v.strip() for v in items if v.strip()]


def grid(sweeps, numbers) -> list[dict]:
    """Every setting of the grid, as ``{option name: value}``, the first axis slowest;
    ``numbers`` is the command's table of numeric options, ``{name: int or float}``."""
    axes = []
    for name, raw in sweeps:
        if not (name in numbers or name == LAYER_SETS):
            raise NeuralStyleError(
                f"--sweep {name}: not an option that can be swept; use {LAYER_SETS} or one of "
                f"{', '.join(sorted(numbers))}"
            )
        try:
            values = (
                [numbers[name](v) for v in raw]
                if name in numbers
                else [tuple(x.strip() for x in v.split(",") if x.strip()) for v in raw]
            )
        except ValueError:
            raise NeuralStyleError(
                f"--sweep {name}={','.join(raw)}: not all values are numbers"
            ) from None
        axes.append([(name, v) for v in values])
    if len({name for name, _ in sweeps}) != len(sweeps):
        raise NeuralStyleError("--sweep names an option twice; give each option once")
    return [dict(combo) for combo in itertools.product(*axes)]


def apply(args, setting) -> argparse.Namespace:
    """``args`` with the setting's values.  A swept layer set gets equal layer weights
    1/n unless ``--layer-weights`` has one weight per layer of that set."""
    variant = argparse.Namespace(**vars(args))
    for name, value in setting.items():
        setattr(variant, name.replace("-", "_"), value)
    if LAYER_SETS in setting and len(variant.layer_weights) != len(variant.style_layers):
        variant.layer_weights = (1 / len(variant.style_layers),) * len(variant.style_layers)
    return variant


def _text(value) -> str:
    if isinstance(value, tuple):
        return "+".join(value)
    return f"{value:g}" if isinstance(value, float) else str(value)


def label(setting) -> str:
    """A file-safe name of a setting, e.g. ``content-weight=0.1_style-weight=10``."""
    return "_".join(f"{name}={_text(value)}" for name, value in setting.items())


def contact_sheet(sweeps, grid, results, path) -> Path:
    """One labelled figure of the results: columns are the last axis, rows the others.

    ``grid``: every setting (``grid()``); ``results``: ``[(setting, RGB uint8 image)]``
    (failed settings left out: blank cells).
    """
    import matplotlib.pyplot as plt

    from neural_style.viz import labelled_grid, save_figure

    names = [name for name, _ in sweeps]
    axes = _axes(names, grid)
    cols = axes[-1]
    row_keys = list(itertools.product(*axes[:-1]))
    by_setting = {tuple(_text(s[n]) for n in names): img for s, img in results}
    rows = [[by_setting.get((*row, col)) for col in cols] for row in row_keys]
    row_titles = (
        ["\n".join(f"{n}={v}" for n, v in zip(names[:-1], row)) for row in row_keys]
        if len(names) > 1
        else None
    )
    fig = labelled_grid(rows, row_titles, [f"{names[-1]}={c}" for c in cols])
    path = save_figure(fig, Path(path))
    plt.close(fig)
    return path


def _axes(names, grid):
    """Each axis's values as text, in grid order (taken from the parsed settings)."""
    return [[_text(v) for v in dict.fromkeys(setting[name] for setting in grid)] for name in names]


def finish(args, grid, done, say):
    """After a sweep: the contact sheet beside ``--output`` and, with ``--logdir``, the
    HParams data.  ``done``: ``[(Job, Result)]`` of the settings that finished."""
    sheet = contact_sheet(
        args.sweep,
        grid,
        [(j.setting, r.image) for j, r in done],
        done[0][0].output.parent.with_suffix(".png"),
    )
    say(f"contact sheet: {sheet}")
    if args.logdir:
        write_hparams(
            args.logdir, args.sweep, grid, [(j.setting, j.args.logdir, r) for j, r in done]
        )
        say(f"TensorBoard (HParams): tensorboard --logdir {shlex.quote(args.logdir)}")


def write_hparams(logdir, sweeps, grid, runs):
    """The HParams dashboard's data: the experiment (hyperparameters and metrics) in
    ``logdir``, and each run's values in its child folder.

    ``grid``: every setting; ``runs``: ``[(setting, child logdir, Result)]``.
    """
    from tensorboard.plugins.hparams import summary_v2 as hp

    from neural_style.tblog import SummaryWriter

    def value(v):
        return _text(v) if isinstance(v, tuple) else float(v)

    hparams = [
        hp.HParam(name, hp.Discrete(sorted({value(s[name]) for s in grid}))) for name, _ in sweeps
    ]
    metrics = [hp.Metric("loss/total", display_name="final loss")]
    parent = SummaryWriter(logdir)
    parent.add(hp.hparams_config_pb(hparams, metrics), 0)
    parent.close()
    for setting, child, result in runs:
        writer = SummaryWriter(child)
        writer.add(
            hp.hparams_pb({name: value(v) for name, v in setting.items()}, trial_id=label(setting)),
            0,
        )
        if result.losses and math.isfinite(result.losses[-1]):
            writer.scalar("final/loss", result.losses[-1], len(result.losses) - 1)
        writer.close()
