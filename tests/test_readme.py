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
    """The command's parser and ``argv`` with its job's word, as the command reads them."""
    from neural_style import cli

    return cli.build_parser(), cli.with_default_job(argv)


def test_the_readme_shows_commands():
    words = [w[0] for w in shell_lines()]
    assert words.count("make") >= 4 and words.count("neural-style") >= 8


@pytest.mark.parametrize("words", [w for w in shell_lines() if w[0] == "make"], ids=" ".join)
def test_each_make_target_exists(words):
    run = subprocess.run(["make", "-n", *words[1:]], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr


@pytest.mark.parametrize(
    "words", [w for w in shell_lines() if w[0] == "neural-style"], ids=" ".join
)
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
    assert named == [
        "notebooks/neural-style.ipynb",
        "notebooks/gatys-2015-figures.ipynb",
        "notebooks/perceptual-losses.ipynb",
        "notebooks/tensorflow-notes.ipynb",
    ]
    tracked = subprocess.run(
        ["git", "ls-files", "notebooks/*.ipynb"], cwd=ROOT, capture_output=True, text=True
    ).stdout.split()
    # every committed notebook, and only those
    assert "*" not in line and sorted(named) == sorted(tracked)


def test_every_pip_install_installs_this_checkout():
    # PyPI's neural-style (and neural_style, the same name there) is another project: an
    # install by name would fetch it.  Every pip command we print installs from the folder.
    sources = [
        ROOT / "README.md",
        *sorted((ROOT / "docs").glob("*.md")),
        *sorted((ROOT / "notebooks").glob("*.ipynb")),
        *sorted((ROOT / "neural_style").rglob("*.py")),
    ]
    found = []
    for path in sources:
        text = " ".join(path.read_text().replace('\\\\"', '"').replace("\\\\n", " ").split())
        for match in re.finditer(r"pip install (\S+)", text):
            found.append((path.name, match[1]))
    assert len(found) >= 8, found
    wrong = [(name, what) for name, what in found if not what.lstrip("\\\"'`").startswith(".")]
    assert not wrong, wrong
    import configparser

    setup = configparser.ConfigParser(interpolation=None)
    setup.read(ROOT / "setup.cfg")
    dist = setup["metadata"]["name"]
    # never the index's other project
    assert re.sub(r"[-_.]+", "-", dist).lower() != "neural-style", dist
    assert f'DISTRIBUTION = "{dist}"' in (ROOT / "benchmarks" / "install_size.py").read_text()
    assert setup["options.extras_require"]["cpu"].split() == [
        f"{dist}[keras]",
        "tensorflow-cpu>=2.19",
    ]


def test_a_job_whose_extra_is_not_installed_names_the_install_in_one_line(
    tmp_path, capsys, monkeypatch
):
    """`make setup` installs the lesson's packages only: serve and export say which extra
    they need.  Shown by hiding Ray (and the modules that import it) and tf2onnx."""
    import sys

    import neural_style
    from neural_style import cli

    for name in ("neural_style.rollout", "neural_style.serving", "neural_style.loopback"):
        monkeypatch.delitem(sys.modules, name, raising=False)
        monkeypatch.delattr(neural_style, name.rpartition(".")[2], raising=False)
    monkeypatch.setitem(sys.modules, "ray", None)  # import fails as if not installed
    monkeypatch.setitem(sys.modules, "tf2onnx", None)
    cases = [
        (["serve", "--stop-after", "1"], "'.[serve]'"),
        (["export", "starry_night", "-f", "onnx", "-o", str(tmp_path / "m")], "'.[export]'"),
    ]
    for argv, extra in cases:
        assert cli.main(argv) == 2
        err = capsys.readouterr().err.strip()
        assert (
            f"pip install {extra} in the neural_style folder" in err and len(err.splitlines()) == 1
        ), err
    assert not (tmp_path / "m").exists()


def test_the_shipped_networks_formats_and_jobs_are_named_alike_everywhere(capsys):
    """One truth: the manifest's networks, the format table and the job table, in the
    README, the docs and every job's --help."""
    from neural_style import cli, formats, inference
    from neural_style.cli.jobs import JOBS

    shipped = list(inference.shipped_models())
    words = {2: "Two", 3: "Three", 4: "Four"}
    readme = " ".join((ROOT / "README.md").read_text().split())
    sentence = re.search(r"(\w+) ship with the package: ([^.]+)\.", readme)
    assert sentence[1] == words[len(shipped)] and sorted(
        re.findall(r"`(\w+)`", sentence[2])
    ) == sorted(shipped), sentence[0]
    for doc in ("networks.md", "export.md"):
        text = " ".join((ROOT / "docs" / doc).read_text().split())
        named = re.search(r"one that ships: ([^)]+)\)", text)
        assert named and sorted(re.findall(r"`(\w+)`", named[1])) == sorted(shipped), doc
    helps = {}
    for argv in (["--help"], ["--model", "x", "--help"], ["export", "--help"]):
        with pytest.raises(SystemExit):
            cli.main(argv)
        helps[argv[0]] = " ".join(capsys.readouterr().out.split())
    assert all(f"neural-style {job}" in helps["--help"] for job in JOBS), helps["--help"]
    assert all(", ".join(shipped) in helps[job] for job in ("--model", "export"))
    assert all(f"{name}:" in helps["export"] for name in formats.FORMATS)
    row = next(
        line
        for line in (ROOT / "README.md").read_text().splitlines()
        if line.startswith("| `--model NET`")
    )
    assert all(f"`{name}`" in row for name in shipped), row
