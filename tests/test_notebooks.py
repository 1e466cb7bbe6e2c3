"""Every notebook runs top to bottom in quick mode, writes its iterations, and its losses fall."""

import re
import sys
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))
sys.path.insert(0, str(NOTEBOOKS[0].parent))
from execute import execute  # noqa: E402

SECTIONS = ["content_block5_conv1", "content_block4_conv1", "style", "transfer_starry_night", "transfer_shipwreck"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs_in_quick_mode(path, tmp_path, monkeypatch, weights_path):
    monkeypatch.setenv("NEURAL_STYLE_QUICK", "1")
    monkeypatch.setenv("NEURAL_STYLE_RESULTS", str(tmp_path / "results"))
    monkeypatch.setenv("NEURAL_STYLE_FIGURES", str(tmp_path / "figures"))
    nb, _ = execute(path)  # raises CellExecutionError on any error cell
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    text = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    losses = [float(v) for v in re.findall(r"Current loss value: (\S+)", text)]
    assert len(losses) == 2 * len(SECTIONS)  # two quick iterations per section
    for first, second in zip(losses[::2], losses[1::2]):
        assert second < first
    for section in SECTIONS:
        folder = tmp_path / "results" / section
        assert sorted(p.name for p in folder.iterdir()) == [
            "animation.gif", "res_at_iteration_0.png", "res_at_iteration_1.png",
        ]  # fmt: skip
    assert len(list((tmp_path / "figures").glob("*.png"))) == 5
    html = [o for o in outputs if "text/html" in o.get("data", {})]
    assert len(html) == len(SECTIONS) and all("<script" in o["data"]["text/html"] for o in html)
