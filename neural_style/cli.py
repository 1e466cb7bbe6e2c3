"""The ``neural-style`` command: Gatys et al. style transfer of a photo, from the shell.

Run with no arguments it performs the default job: matplotlib's photo of Grace Hopper in
the style of The Starry Night, at 256 px.
"""

from __future__ import annotations

import argparse
import math
import os
import shlex
import sys
import time
import warnings
from pathlib import Path

from neural_style import import_tensorflow_quietly
from neural_style.errors import NeuralStyleError

MIN_SIDE = 32  # VGG16's five 2x2 poolings (neural_style.vgg16_avg.MIN_SIDE, without importing Keras)

DEFAULT_CONTENT = "grace_hopper"
DEFAULT_STYLE = "starry_night"


def _floats(text):
    try:
        return tuple(float(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a comma-separated list of numbers") from None


def _ints(text):
    try:
        return tuple(int(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a comma-separated list of whole numbers") from None


def _names(text):
    return tuple(v.strip() for v in text.split(",") if v.strip())


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="neural-style",
        description="Neural style transfer (Gatys et al. 2015) as in the fast.ai 2017 lesson 8: "
        "VGG16 with average pooling, optimised with L-BFGS. Images are file paths or lesson "
        "image names (starry_night, the_scream, shipwreck, woman_with_hat, tubingen, grace_hopper).",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    a = p.add_argument
    a("--content", "-c", default=DEFAULT_CONTENT, help="content photo: path or lesson image name")
    a("--style", "-s", action="append", help=f"style image: path or name; repeat to blend several (default: {DEFAULT_STYLE})")
    a("--style-blend", type=_floats, help="comma-separated weight per --style; the Gram-matrix targets are blended with these weights, normalised to sum to 1 (default: equal)")
    a("--output", "-o", help="output image (default: results/CONTENT_STYLE.png)")
    a("--size", type=int, default=256, help="longest side of the result in px")
    a("--style-scale", type=float, default=1.0, help="style image's longest side as a multiple of --size")
    a("--iterations", "-n", type=int, default=10, help="outer iterations (each fmin_l_bfgs_b(maxfun=...))")
    a("--maxfun", type=int, default=20, help="loss evaluations per outer iteration")
    a("--optimizer", choices=("lbfgs-restart", "lbfgs"), default="lbfgs-restart",
      help="lbfgs-restart: the lesson's loop, L-BFGS restarted every outer iteration then clipped; lbfgs: one continuous bounded L-BFGS-B run")  # fmt: skip
    a("--content-weight", type=float, default=1.0, help="weight of the content loss; the lesson's 0.1 gives a more abstract picture, 1.0 keeps the subject clearer")
    a("--style-weight", type=float, default=1.0, help="multiplier of the style loss")
    a("--tv-weight", type=float, default=0.0, help="weight of the total variation loss (smoothness)")
    a("--content-layer", default="block4_conv2", help="VGG16 layer of the content loss")
    a("--style-layers", type=_names, default=tuple(f"block{i}_conv2" for i in range(1, 6)), help="comma-separated VGG16 layers of the style loss")
    a("--layer-weights", type=_floats, default=(0.05, 0.2, 0.2, 0.25, 0.3), help="comma-separated weight per style layer")
    a("--pooling", choices=("avg", "max"), default="avg", help="VGG16 pooling: avg (the paper) or max")
    a("--init", default="noise", help="start image: noise (uniform -2.5..2.5), content, style, or an image PATH")
    a("--seed", type=int, help="random seed of the noise start; same seed, same machine, same output")
    a("--original-colors", action="store_true", help="keep the content's colours: transfer luminance only")
    a("--scales", type=_ints, help="coarse-to-fine sizes, e.g. 256,512,1024; each stage starts from the last (overrides --size)")
    a("--save-every", type=int, default=0, help="save every N-th outer iteration as PNG (0: none, 1 with --gif)")
    a("--iterations-dir", help="folder of the per-iteration PNGs (default: next to --output)")
    a("--gif", action="store_true", help="also write an animated GIF of the saved iterations beside the output")
    a("--logdir", help="TensorBoard folder: loss terms and image per outer iteration, settings as text")
    a("--resample", choices=("nearest", "bilinear", "bicubic", "lanczos"), default="bicubic", help="resampling used to resize the inputs")
    a("--quiet", "-q", action="store_true", help="print only errors and the output path")
    a("--debug", action="store_true", help="show full tracebacks and TensorFlow's own messages")
    return p


def _stem(name) -> str:
    return Path(str(name)).stem


def check_output(path: Path):
    """Create the output folder, or fail before computing if it cannot be written."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise NeuralStyleError(f"cannot create the output folder {path.parent}: {e.strerror}") from None
    if not os.access(path.parent, os.W_OK):
        raise NeuralStyleError(f"the output folder {path.parent} is not writable; choose another --output")
    if path.suffix.lower() not in (".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff"):
        raise NeuralStyleError(f"--output {path}: unknown image type {path.suffix!r}; use .png or .jpg")


def check_memory(sizes, cfg, say):
    """Print the size and the memory estimate; refuse a run that would not fit."""
    import psutil

    from neural_style.transfer import estimate_memory

    available = psutil.virtual_memory().available
    worst = max(estimate_memory(h, w, cfg) for h, w in sizes)
    h, w = sizes[-1]
    say(f"result {w}x{h} px, estimated peak memory {worst / 1e9:.1f} GB of {available / 1e9:.1f} GB available")
    if worst > available:
        fit = max(sizes[-1])
        while fit > 32 and estimate_memory(*_scaled((h, w), fit), cfg) > available:
            fit = int(fit * 0.9)
        raise NeuralStyleError(
            f"a {w}x{h} px run needs about {worst / 1e9:.1f} GB but {available / 1e9:.1f} GB is "
            f"available; use --size {fit} (or --scales ending at {fit})"
        )


def _style_size(shape, longest):
    """Longest side for a style image: as asked, but never under 32 px on its short side."""
    h, w = shape[:2]
    return max(round(longest), math.ceil(MIN_SIDE * max(h, w) / min(h, w)))


def _scaled(hw, size):
    h, w = hw
    s = size / max(h, w)
    return max(1, round(h * s)), max(1, round(w * s))


def _notice(message, category, filename, lineno, file=None, line=None):
    print(f"neural-style: notice: {message}", file=file or sys.stderr)


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    with warnings.catch_warnings():
        if not args.debug:
            warnings.showwarning = _notice  # one plain line, not a source location
        try:
            return _main(args)
        except NeuralStyleError as e:
            if args.debug:
                raise
            print(f"neural-style: error: {e}", file=sys.stderr)
            return 2
        except OSError as e:  # e.g. a full disk while saving: say which file, no traceback
            if args.debug:
                raise
            print(f"neural-style: error: {e}", file=sys.stderr)
            return 1
        except KeyboardInterrupt:  # before or after the optimisation, where nothing is lost
            print("neural-style: interrupted", file=sys.stderr)
            return 130


def _main(args) -> int:
    say = (lambda *a, **k: None) if args.quiet else (lambda *a, **k: print(*a, **k, file=sys.stderr))
    styles = args.style or [DEFAULT_STYLE]
    sizes_wanted = args.scales or (args.size,)
    if any(s <= 0 for s in sizes_wanted):
        raise NeuralStyleError(f"size {min(sizes_wanted)} is not valid; give a positive number of pixels")
    if args.style_blend is not None and len(args.style_blend) != len(styles):
        raise NeuralStyleError(f"--style-blend has {len(args.style_blend)} weights for {len(styles)} --style images; give one per style")
    if args.style_scale <= 0:
        raise NeuralStyleError(f"--style-scale {args.style_scale} is not valid; give a positive number")
    if args.save_every < 0:
        raise NeuralStyleError(f"--save-every {args.save_every} is not valid; give 0 or more")
    output = Path(args.output or f"results/{_stem(args.content)}_{'+'.join(_stem(s) for s in styles)}.png")
    check_output(output)
    save_every = args.save_every or (1 if args.gif or args.iterations_dir else 0)
    iter_dir = Path(args.iterations_dir) if args.iterations_dir else output.with_name(output.stem + "_iterations")

    if args.debug:
        os.environ["NEURAL_STYLE_DEBUG"] = "1"
    import_tensorflow_quietly()
    from neural_style import data, transfer

    cfg = transfer.Config.lesson(
        "transfer", content_layer=args.content_layer, content_weight=args.content_weight,
        style_layers=args.style_layers, layer_weights=args.layer_weights,
        style_weight=args.style_weight, style_blend=args.style_blend, tv_weight=args.tv_weight,
        pooling=args.pooling, seed=args.seed, crop_content=False, iterations=args.iterations,
        maxfun=args.maxfun, optimizer=args.optimizer, verbose=False, save_every=max(save_every, 1),
        init=args.init if args.init in ("noise", "content", "style") else Path(args.init),
    )  # fmt: skip
    cfg.validate()  # every setting checked before any image is loaded or computed
    if isinstance(cfg.init, Path):
        data.load(cfg.init)  # a bad --init file fails now, not after the first stage

    content_full = data.load(args.content)
    style_full = [data.load(s, stand_in_ok=(s == DEFAULT_STYLE and not args.style)) for s in styles]
    for name, arr in [(args.content, content_full), *zip(styles, style_full)]:
        if min(arr.shape[:2]) < MIN_SIDE:
            raise NeuralStyleError(
                f"{name}: {arr.shape[1]}x{arr.shape[0]} px is too small for VGG16's five "
                f"poolings; give an image of at least {MIN_SIDE} px a side"
            )
    sizes = [_scaled(content_full.shape[:2], s) for s in sizes_wanted]
    if min(sizes[0]) < MIN_SIDE:
        h, w = content_full.shape[:2]
        need = math.ceil(MIN_SIDE * max(h, w) / min(h, w))
        raise NeuralStyleError(
            f"a {sizes[0][1]}x{sizes[0][0]} px result is too small for VGG16's five poolings "
            f"(at least {MIN_SIDE} px a side); use --size {need} or more"
        )
    check_memory(sizes, cfg, say)
    if args.seed is not None:
        import keras
        import tensorflow as tf

        keras.utils.set_random_seed(args.seed)
        tf.config.experimental.enable_op_determinism()

    import numpy as np
    from tqdm import tqdm

    from neural_style import images as im
    from neural_style.viz import save_gif

    total = cfg.iterations * cfg.maxfun * len(sizes)
    bar = tqdm(total=total, unit="eval", disable=args.quiet, file=sys.stderr, dynamic_ncols=True, desc="style transfer")

    def on_eval(loss):
        bar.update(1)
        bar.set_postfix_str(f"loss {loss:.4g}", refresh=False)

    result, prev, saved, n_evals = None, None, [], 0
    start = time.perf_counter()
    for stage, (h, w) in enumerate(sizes):
        content = im.resize(content_full, size=max(h, w), resample=args.resample)
        stage_styles = [
            im.resize(s, size=_style_size(s.shape, max(h, w) * args.style_scale), resample=args.resample)
            for s in style_full
        ]
        init = cfg.init if prev is None else prev
        prefix = f"stage{stage}_" if len(sizes) > 1 else ""
        stage_cfg = transfer.dataclasses.replace(
            cfg, init=init, on_eval=on_eval, out_dir=str(iter_dir) if save_every else None,
            fname=prefix + "iteration_{i:03d}.png", log_step=stage * cfg.iterations,
            logdir=args.logdir,
        )  # fmt: skip
        if len(sizes) > 1 and not args.quiet:
            bar.write(f"stage {stage + 1}/{len(sizes)}: {content.shape[1]}x{content.shape[0]} px")
        result = transfer.style_transfer(content, stage_styles, stage_cfg)
        n_evals += result.n_evals
        if save_every:
            saved += [iter_dir / stage_cfg.fname.format(i=i) for i in range(len(result.losses)) if (i + 1) % save_every == 0]
        prev = result.image
        if result.stopped:
            break
    bar.close()
    seconds = time.perf_counter() - start

    image = result.image
    if args.original_colors:
        image = im.original_colors(image, im.resize(content_full, size=max(image.shape[:2]), resample=args.resample))
    im.save_image(output, image)
    if args.gif and saved:
        gif = save_gif(output.with_suffix(".gif"), [np.asarray(im.load_image(p)) for p in saved if p.exists()])
        say(f"animation: {gif}")
    if save_every:
        say(f"iterations: {iter_dir}/")
    if args.logdir:
        say(f"TensorBoard: tensorboard --logdir {shlex.quote(args.logdir)}")
    say(f"loss {result.losses[0]:.4g} -> {result.losses[-1]:.4g}" if result.losses else "no iteration finished")
    say(f"{seconds:.1f} s in all, {seconds / max(n_evals, 1):.3f} s per evaluation ({n_evals} evaluations)")
    print(output)
    if result.stopped == "signal":
        cmd = " ".join(shlex.quote(a) for a in sys.argv[1:] if a)
        print(f"neural-style: stopped by a signal; the best image so far is {output}\n"
              f"continue with: neural-style {cmd} --init {shlex.quote(str(output))}", file=sys.stderr)  # fmt: skip
        return 130
    if result.stopped:
        print(f"neural-style: error: {result.stopped}; saved {output}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
