"""Every command the README shows runs as written: each `make` target exists and each
`neural-style` line parses with its job's own options."""

import re
import shlex
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def shell_lines():
    text = (ROOT / "README.md").read_text()
    for block in re.findall(r"```sh\n(.*?)```", text, flags=re.S):
        for line in block.splitlines():
            words = shlex.split(line, comments=True)
            if words:
                yield words


def parser_for(argv):
    """The parser of the job ``argv`` starts, found as the command finds it."""
    import importlib

    from neural_style import cli
    from neural_style.cli import apply, run

    if argv[:1] and argv[0] in cli.JOBS:
        return importlib.import_module(f"neural_style.cli.{cli.JOBS[argv[0]][0]}").build_parser(), argv[1:]
    if any(cli._names_a_network(a) for a in argv):
        return apply.build_parser(), argv
    return run.build_parser(), argv


def test_the_readme_shows_commands():
    words = [w[0] for w in shell_lines()]
    assert words.count("make") >= 4 and words.count("neural-style") >= 8


@pytest.mark.parametrize("words", [w for w in shell_lines() if w[0] == "make"], ids=" ".join)
def test_each_make_target_exists(words):
    run = subprocess.run(["make", "-n", *words[1:]], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr


@pytest.mark.parametrize("words", [w for w in shell_lines() if w[0] == "neural-style"], ids=" ".join)
def test_each_command_parses(words):
    parser, argv = parser_for(words[1:])
    parser.parse_args(argv)  # an unknown option or a bad value exits with status 2


def test_make_notebooks_runs_the_projects_notebooks_by_name_only():
    """A notebook of the student's own beside the project's (or in notebooks/mine/) is never
    run or rewritten: the recipe names the project's four, no pattern."""
    run = subprocess.run(["make", "-n", "notebooks"], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    line = next(line for line in run.stdout.splitlines() if "execute.py" in line)
    named = [w for w in shlex.split(line) if w.endswith(".ipynb")]
    assert named == ["notebooks/neural-style.ipynb", "notebooks/gatys-2015-figures.ipynb",
                     "notebooks/perceptual-losses.ipynb", "notebooks/tensorflow-notes.ipynb"]  # fmt: skip
    tracked = subprocess.run(["git", "ls-files", "notebooks/*.ipynb"], cwd=ROOT, capture_output=True, text=True).stdout.split()
    assert "*" not in line and sorted(named) == sorted(tracked)  # every committed notebook, and only those


def test_every_pip_install_installs_this_checkout():
    # PyPI's neural-style (and neural_style, the same name there) is another project: an
    # install by name would fetch it.  Every pip command we print installs from the folder.
    sources = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), *sorted((ROOT / "notebooks").glob("*.ipynb")),
               *sorted((ROOT / "neural_style").rglob("*.py"))]  # fmt: skip
    found = []
    for path in sources:
        text = " ".join(path.read_text().replace('\\\\"', '"').replace("\\\\n", " ").split())
        for match in re.finditer(r"pip install (\S+)", text):
            found.append((path.name, match[1]))
    assert len(found) >= 8, found
    wrong = [(name, what) for name, what in found if not what.lstrip("\\\"'`").startswith(".")]
    assert not wrong, wrong
