"""figures/paper.py, the paper-scale figures job, at a tiny size: panels from noise that
lower their loss, kept and never run again, a composite with every panel's pixels."""

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def paper():
    spec = importlib.util.spec_from_file_location("paper", ROOT / "figures" / "paper.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_panels_are_kept_full_size_and_never_run_again(paper, weights_path, tmp_path, monkeypatch):
    from neural_style import transfer

    args = [
        "--figure",
        "2",
        "--fig2-styles",
        "starry_night",
        "--size",
        "64",
        "--evals",
        "200",
        "--results",
        str(tmp_path / "r"),
        "--figures",
        str(tmp_path / "f"),
    ]
    paper.main(args)
    record = json.loads((tmp_path / "f" / "paper_fig2.json").read_text())
    panel = record["panels"]["starry_night"]
    assert panel["evaluations"] >= 150 and panel["loss_last"] < panel["loss_first_block"]
    saved = json.loads((tmp_path / "r" / "fig2" / "starry_night.json").read_text())
    assert panel["relative_change_last_100"] == pytest.approx(
        (saved["losses"][-2] - saved["losses"][-1]) / saved["losses"][-2]
    )
    result = np.asarray(Image.open(tmp_path / "r" / "fig2" / "starry_night.png"))
    assert result.shape == (48, 64, 3) and result.std() > 10
    # the composite keeps both panels (photo and result) at no less than their own pixels
    assert Image.open(tmp_path / "f" / "paper_fig2.png").width >= 2 * 64

    def must_not_run(*a, **k):
        raise AssertionError("a finished panel was run again")

    monkeypatch.setattr(transfer, "style_transfer", must_not_run)
    (tmp_path / "f" / "paper_fig2.png").unlink()
    paper.main(args)
    assert (tmp_path / "f" / "paper_fig2.png").exists()
    # the record the second run wrote
    again = json.loads((tmp_path / "f" / "paper_fig2.json").read_text())
    assert again["panels"]["starry_night"] == panel and panel["budget"] == 200


def test_a_larger_budget_continues_a_kept_panel_and_a_smaller_one_remakes_it(
    paper, weights_path, tmp_path, monkeypatch, capsys
):
    from neural_style import transfer

    calls, real = [], transfer.style_transfer
    monkeypatch.setattr(
        transfer, "style_transfer", lambda *a, **k: calls.append(k) or real(*a, **k)
    )
    args = [
        "--figure",
        "2",
        "--fig2-styles",
        "starry_night",
        "--size",
        "64",
        "--results",
        str(tmp_path / "r"),
        "--figures",
        str(tmp_path / "f"),
    ]
    saved = tmp_path / "r" / "fig2" / "starry_night"
    paper.main(args + ["--evals", "200"])
    first = json.loads(saved.with_suffix(".json").read_text())
    kept = np.asarray(Image.open(saved.with_suffix(".png")))
    paper.main(args + ["--evals", "200"])  # kept
    paper.main(args + ["--evals", "300"])  # continued from the kept image for 100 more
    assert len(calls) == 2 and "init" not in calls[0]  # from noise, then once more
    assert calls[1]["iterations"] == 1 and np.array_equal(calls[1]["init"], kept)
    info = json.loads(saved.with_suffix(".json").read_text())
    assert info["budget"] == 300 and info["continued_from"] == 200
    assert info["losses"][:2] == first["losses"] and len(info["losses"]) == 3
    assert (
        info["evaluations"] > first["evaluations"]
        and info["losses"][-1] <= first["losses"][-1] * 1.01
    )
    paper.main(args + ["--evals", "100"])  # a smaller budget: made again from noise
    assert calls[2]["iterations"] == 1 and "init" not in calls[2]
    out = capsys.readouterr().out
    assert "continued to 300" in out and "made again with 100" in out
    assert json.loads(saved.with_suffix(".json").read_text())["continued_from"] is None


def test_a_stopped_panel_is_not_kept(paper, weights_path, tmp_path, monkeypatch):
    from neural_style import transfer

    real = transfer.style_transfer

    def stopped(*a, **k):
        r = real(*a, **{**k, "iterations": 1})
        r.stopped = "signal"
        return r

    monkeypatch.setattr(transfer, "style_transfer", stopped)
    with pytest.raises(SystemExit, match="stopped"):
        paper.main(
            [
                "--figure",
                "2",
                "--fig2-styles",
                "starry_night",
                "--size",
                "64",
                "--evals",
                "100",
                "--results",
                str(tmp_path / "r"),
                "--figures",
                str(tmp_path / "f"),
            ]
        )
    assert not list((tmp_path / "r" / "fig2").glob("*"))
