"""Weights verification: the digest and spot values accept the real file and reject damage."""

import shutil

import h5py
import pytest

from neural_style import weights as W
from neural_style.errors import NeuralStyleError


def test_provisioned_file_verifies(weights_path):
    conv = W.read_conv_weights(weights_path)
    assert W.weights_digest(conv) == W.DIGEST
    W.verify_conv_weights(conv)
    assert conv["block1_conv1"][0][0, 0, 0, 0] == pytest.approx(0.42947057, rel=1e-7)
    assert conv["block5_conv2"][1][510] == pytest.approx(0.23517226, rel=1e-7)


def test_one_changed_float_is_rejected(weights_path, tmp_path):
    bad = tmp_path / "bad.h5"
    shutil.copy(weights_path, bad)
    with h5py.File(bad, "r+") as f:
        group = f["block3_conv2"]
        name = group.attrs["weight_names"][0]
        name = name.decode() if isinstance(name, bytes) else name
        group[name][1, 1, 7, 9] += 1e-3  # not a spot value: only the digest can see it
    with pytest.raises(NeuralStyleError, match=r"bad\.h5.*sha256"):
        W.load_verified(bad)


def test_wrong_spot_value_is_rejected(weights_path, tmp_path):
    bad = tmp_path / "spot.h5"
    conv = W.read_conv_weights(weights_path)
    conv["block2_conv1"][1][1] = 0.5
    W.write_keras_h5(conv, bad)
    with pytest.raises(NeuralStyleError, match=r"spot\.h5: block2_conv1 bias\[1\]"):
        W.load_verified(bad)


def test_truncated_file_is_rejected(weights_path, tmp_path):
    bad = tmp_path / "cut.h5"
    bad.write_bytes(weights_path.read_bytes()[:1_000_000])
    with pytest.raises(NeuralStyleError, match=r"cut\.h5.*not a readable") as e:
        W.load_verified(bad)
    assert "neural_style.weights" in str(e.value)  # the fix is named


def test_missing_file_names_fix(tmp_path):
    with pytest.raises(NeuralStyleError, match="does not exist.*make weights"):
        W.get_weights_path(tmp_path / "nope.h5")


def test_env_variable_is_used(weights_path, monkeypatch):
    monkeypatch.setenv("NEURAL_STYLE_WEIGHTS", str(weights_path))
    assert W.get_weights_path() == (weights_path, "NEURAL_STYLE_WEIGHTS")


def test_cli_verify(weights_path, capsys, tmp_path):
    assert W.main(["--verify", str(weights_path)]) == 0
    assert "verified" in capsys.readouterr().out
    (tmp_path / "x.h5").write_bytes(b"junk")
    assert W.main(["--verify", str(tmp_path / "x.h5")]) == 1
    assert "x.h5" in capsys.readouterr().err
