"""What every job of the ``neural-style`` command shares: option types, the expansion of
``--content`` into files, output checks, and one-line error reporting."""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from pathlib import Path

from neural_style.errors import NeuralStyleError
from neural_style.files import IMAGE_SUFFIXES, OUTPUT_IMAGE_SUFFIXES, writable_folder
from neural_style.images import expand

DEFAULT_CONTENT = "grace_hopper"
DEFAULT_STYLE = "starry_night"


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Each option's default once: not "(default: None)", nor "(default: False)" for a
    flag, nor a second one where the help already names it."""

    def _get_help_string(self, action):
        if action.default in (None, False) or "default:" in (action.help or ""):
            return action.help
        return super()._get_help_string(action)

    def _fill_text(self, text, width, indent):
        """Paragraphs wrapped at spaces only: never "neural-" at a line's end, "style" below."""
        import textwrap

        return textwrap.fill(
            " ".join(text.split()),
            width,
            initial_indent=indent,
            subsequent_indent=indent,
            break_on_hyphens=False,
        )

    def _split_lines(self, text, width):
        import textwrap

        return textwrap.wrap(" ".join(text.split()), width, break_on_hyphens=False)


def add_common(p, prints="the output path"):
    """--quiet and --debug, which every job takes; ``prints``: what --quiet leaves."""
    p.add_argument("--quiet", "-q", action="store_true", help=f"print only errors and {prints}")
    p.add_argument(
        "--debug", action="store_true", help="show full tracebacks and TensorFlow's own messages"
    )


def floats(text):
    try:
        return tuple(float(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a comma-separated list of numbers"
        ) from None


def ints(text):
    try:
        return tuple(int(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a comma-separated list of whole numbers"
        ) from None


def names(text):
    return tuple(v.strip() for v in text.split(",") if v.strip())


def config_from(args, base, skip=(), **overrides):
    """``base`` (a Config or TrainConfig) with every option named like one of its fields
    (but ``skip``) and ``overrides`` set, validated once, before any image is loaded."""
    import dataclasses

    fields = {f.name for f in dataclasses.fields(base)} - set(skip)
    options = {name: value for name, value in vars(args).items() if name in fields}
    cfg = dataclasses.replace(base, **(options | overrides))
    cfg.validate()
    return cfg


def stem(name) -> str:
    return Path(str(name)).stem


def check_output(path: Path, suffixes=OUTPUT_IMAGE_SUFFIXES, kind="image"):
    """Create the output folder, or fail before computing if it cannot be written."""
    writable_folder(path.parent)
    if path.suffix.lower() not in suffixes:
        raise NeuralStyleError(
            f"--output {path}: unknown {kind} type {path.suffix!r}; use {' or '.join(suffixes[:2])}"
        )


def expand_contents(items, suffixes=IMAGE_SUFFIXES) -> list[str]:
    """``--content`` values as a list: lesson names and files as given, a folder as the
    files inside it with one of ``suffixes``, a glob pattern as its matches (sorted)."""
    out = []
    for item in items:
        found = expand(item, suffixes)
        if found == [] and Path(item).expanduser().is_dir():
            raise NeuralStyleError(
                f"--content {item}: the folder holds no image ({', '.join(suffixes)})"
            )
        if found == []:
            raise NeuralStyleError(f"--content {item}: the pattern matches no file")
        out += [str(p) for p in found] if found is not None else [item]
    return list(dict.fromkeys(out))  # each once, in order


def _notice(message, category, filename, lineno, file=None, line=None):
    print(f"neural-style: notice: {message}", file=file or sys.stderr)


def say_fn(quiet):
    """A print to stderr that goes above a running tqdm bar (silent with --quiet)."""
    from tqdm import tqdm

    return (lambda msg: None) if quiet else (lambda msg: tqdm.write(msg, file=sys.stderr))


def run_job(job, args) -> int:
    """Run ``job(args)``; bad input, a failed write or Ctrl-C outside the work are one line
    on stderr and an exit status, never a traceback (``--debug`` shows it)."""
    with warnings.catch_warnings():
        if not args.debug:
            warnings.showwarning = _notice  # one plain line, not a source location
        else:
            os.environ["NEURAL_STYLE_DEBUG"] = "1"
        try:
            return job(args)
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
        except KeyboardInterrupt:  # before or after the work, where nothing is lost
            print("neural-style: interrupted", file=sys.stderr)
            return 130
