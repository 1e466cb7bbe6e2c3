"""Network kinds: a new kind is one registered object, and the code keeps one home per idea."""

import ast
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from neural_style import cli, data, inference, kinds
from neural_style.backend import keras, ops
from neural_style.images import to_uint8

PACKAGE = Path(kinds.__file__).resolve().parents[1]


class Identity(kinds.Kind):
    """A toy kind: a 1x1 convolution trained to give back its input."""

    name, title, min_side = "identity", "identity network", 8

    def build(self, cfg):
        x = keras.Input((None, None, 3))
        return keras.Model(x, keras.layers.Conv2D(3, 1)(x), name="toy")  # a name no kind has

    def trainer(self, net, cfg, style=None, weights="imagenet"):
        x = keras.Input((None, None, 3))
        per_image = keras.layers.Lambda(
            lambda t: ops.mean(ops.abs(t[0] - t[1]) / 255, axis=(1, 2, 3))[:, None]
        )
        trainer = keras.Model(x, per_image([net(x), x]))
        trainer.compile(keras.optimizers.Adam(cfg.lr), loss="mae")
        return trainer

    def batch(self, crops, cfg, first, rngs):
        return (crops,), np.zeros((len(crops), 1), np.float32)

    def apply(self, net, image, size=None):
        return to_uint8(kinds.framing.run(net, np.asarray(image, np.float32)[None])[0])

    def memory(self, height, width):
        return 4 * 3 * height * width


@pytest.fixture
def identity():
    kind = kinds.register(Identity())
    yield kind
    kinds.KINDS.pop(kind.name, None)


def test_a_new_kind_trains_saves_loads_and_applies_through_the_command(identity, tmp_path, capsys):
    folder = tmp_path / "photos"
    folder.mkdir()
    for p in data.training_photos()[:3]:
        Image.open(p).convert("RGB").save(folder / f"{p.stem}.png")
    net = tmp_path / "toy.keras"
    train = [
        "train",
        "--task",
        "identity",
        "--images",
        str(folder),
        "-o",
        str(net),
        "--size",
        "16",
        "--batch-size",
        "2",
        "--steps",
        "4",
        "--epochs",
        "3",
        "--lr",
        "0.05",
        "--workers",
        "1",
    ]
    assert cli.main(train) == 0, capsys.readouterr().err
    losses = [float(v) for v in capsys.readouterr().err.split("loss by epoch ")[1].split()[0::2]]
    assert len(losses) == 3 and losses[-1] < losses[0]
    assert (
        kinds.read_meta(net)["kind"] == "identity" and kinds.read_meta(net)["config"]["size"] == 16
    )

    photo = data.load("grace_hopper", size=40)
    Image.fromarray(photo).save(tmp_path / "photo.png")
    assert (
        cli.main(
            [
                "--model",
                str(net),
                "--content",
                str(tmp_path / "photo.png"),
                "-o",
                str(tmp_path / "out.png"),
            ]
        )
        == 0
    )
    network = inference.load(net)
    # the kind came from the file, not the name
    assert network.kind is identity and network.model.name == "toy"
    expected = Identity().apply(keras.saving.load_model(net), photo)
    np.testing.assert_array_equal(np.asarray(Image.open(tmp_path / "out.png")), expected)
    args = [
        "--model",
        str(net),
        "--content",
        str(tmp_path / "photo.png"),
        "-o",
        str(tmp_path / "o.png"),
    ]
    assert cli.main([*args, "--strength", "0.5"]) == 2  # no looks for this kind: one line
    assert "identity network: --strength" in capsys.readouterr().err


def test_a_kind_this_version_does_not_know_is_one_clear_line(identity, tmp_path):
    from neural_style.config import TrainConfig
    from neural_style.errors import NeuralStyleError

    kinds.save_net(
        identity.build(TrainConfig(task="identity", size=16)), tmp_path / "toy.keras", "identity"
    )
    del kinds.KINDS["identity"]
    with pytest.raises(
        NeuralStyleError, match="kind 'identity', which this version of neural_style does not know"
    ):
        inference.load(tmp_path / "toy.keras")


def test_a_file_without_its_kind_is_told_apart_by_the_builders_names(tmp_path):
    from neural_style import nets

    nets.superres_net((16, 16, 3)).save(tmp_path / "plain.keras")  # plain Keras save: no record
    network = inference.load(tmp_path / "plain.keras")
    assert kinds.read_meta(tmp_path / "plain.keras") == {}
    assert network.kind.name == "superres" and network.model.input_shape == (None, None, None, 3)
    assert network.apply(np.zeros((10, 12, 3), np.uint8)).shape == (40, 48, 3)


def _functions():
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                yield path.relative_to(PACKAGE), node


def test_no_function_is_longer_than_60_lines():
    long = [
        f"{path}:{node.lineno} {node.name} ({node.end_lineno - node.lineno + 1} lines)"
        for path, node in _functions()
        if node.end_lineno - node.lineno + 1 > 60
    ]
    assert not long


def test_no_module_is_longer_than_250_lines():
    """A longer module is two ideas (docs/architecture.md says where each lives)."""
    long = {
        str(path.relative_to(PACKAGE)): n
        for path in sorted(PACKAGE.rglob("*.py"))
        if (n := len(path.read_text().splitlines())) > 250
    }
    assert not long


def test_only_the_kinds_branch_on_a_kind_name():
    branches = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.parent.name == "kinds":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Compare):
                operands = [node.left, *node.comparators]
                if any(isinstance(o, ast.Constant) and o.value in kinds.KINDS for o in operands):
                    branches.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
    assert not branches


def test_the_commands_defaults_are_the_configs():
    from neural_style import cli
    from neural_style.cli import plan, train
    from neural_style.config import TrainConfig

    args = cli.build_parser().parse_args(["run"])
    # the lesson's settings but init and iterations
    assert plan.config_for(args, "lbfgs-restart", 0) == plan.DEFAULTS
    assert (plan.DEFAULTS.init, plan.DEFAULTS.iterations) == ("content", 6)
    trains = cli.build_parser().parse_args(["train", "-i", "x", "-o", "n.keras"])
    assert train.config(trains) == TrainConfig(style_names=("starry_night",))


def test_every_public_name_of_the_library_has_a_docstring():
    """The API reference is generated from them (make docs); the command's modules are its own."""
    missing = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.parent.name == "cli":
            continue
        for node in ast.parse(path.read_text()).body:
            if (
                isinstance(node, (ast.FunctionDef, ast.ClassDef))
                and not node.name.startswith("_")
                and not ast.get_docstring(node)
            ):
                missing.append(f"{path.relative_to(PACKAGE)}:{node.lineno} {node.name}")
    assert not missing


def _imports(path, modules):
    """The neural_style modules ``path`` imports, at its top or inside its functions (not
    under ``if TYPE_CHECKING``)."""
    tree = ast.parse(path.read_text())
    typing_only = {
        id(n)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
        for n in ast.walk(node)
    }
    found = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found |= {
                f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in modules else node.module
                for a in node.names
            }
    return {m for m in found if m in modules}


def test_the_architecture_page_names_every_module():
    page = (PACKAGE.parent / "docs" / "architecture.md").read_text()
    modules = [p for p in sorted(PACKAGE.rglob("*.py")) if p.name != "__init__.py"]
    missing = [
        str(p.relative_to(PACKAGE))
        for p in modules
        if f"`{p.name}`" not in page and f"/{p.name}`" not in page
    ]
    assert not missing, f"docs/architecture.md does not say where these live: {missing}"


def test_imports_run_one_way():
    modules = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    graph = {name: _imports(path, modules) - {name} for name, path in modules.items()}
    # the walk sees imports inside functions too
    assert graph["neural_style.backend"] and graph["neural_style.kinds"]

    def circle_from(start, node, path):
        for nxt in sorted(graph[node]):
            if nxt == start:
                return path + [start]
            if nxt not in path and nxt > start:
                found = circle_from(start, nxt, path + [nxt])
                if found:
                    return found
        return None

    circles = [c for c in (circle_from(m, m, [m]) for m in sorted(graph)) if c]
    assert not circles, [" -> ".join(c) for c in circles]
