"""figures/debugger_v2.png: TensorBoard's Debugger V2 page on a training run that goes
non-finite (``neural-style train --debug-dump``, the learning rate far too high), served
on 127.0.0.1 and photographed in headless Chromium, its NaN/infinity alert opened.  Needs
the test extra (Playwright) and Debian's chromium; ``tests/test_debugdump.py`` checks the
same dump against TensorFlow's own reader."""

import tempfile
import time
from pathlib import Path

from embedding_projector import CHROMIUM, tensorboard
from PIL import Image

from neural_style import cli, data


def broken_run(folder):
    """A two-photo training run whose Adam step at learning rate 1e30 overflows the next
    forward pass; its Debugger V2 dump in ``folder / "dump"``."""
    photos = folder / "photos"
    photos.mkdir()
    for p in data.training_photos()[:2]:
        Image.open(p).convert("RGB").save(photos / f"{p.stem}.jpg")
    argv = [
        "train",
        "--images",
        str(photos),
        "-o",
        str(folder / "net.keras"),
        "--size",
        "48",
        "--batch-size",
        "2",
        "--steps",
        "1",
        "--epochs",
        "3",
        "--workers",
        "1",
        "--norm",
        "instance",
        "--lr",
        "1e30",
        "--debug-dump",
        str(folder / "dump"),
        "-q",
    ]
    assert cli.main(argv) == 1
    return folder / "dump"


def screenshot(url, path, size=(1400, 860)):
    """The Debugger V2 page at ``url``, once its alerts have loaded: the NaN/infinity alert
    opened, which scrolls to the first non-finite tensor, and that tensor's op shown in its
    graph (instance normalisation's mean, as ``debugdump.first_nonfinite`` finds)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": size[0], "height": size[1]})
        with page.expect_response(
            lambda r: "/data/plugin/debugger-v2/alerts" in r.url, timeout=120_000
        ):
            page.goto(url)
        time.sleep(5)
        page.get_by_text("NaN/∞", exact=False).first.click()  # jumps to the first non-finite tensor
        time.sleep(5)
        # that tensor's op and its inputs in the graph
        page.get_by_text("moments/mean:0").first.click()
        time.sleep(3)
        page.screenshot(path=str(path))
        browser.close()


def main():
    with tempfile.TemporaryDirectory() as tmp:
        with tensorboard(broken_run(Path(tmp)), probe="/data/plugin/debugger-v2/runs") as url:
            screenshot(f"{url}/#debugger-v2", Path(__file__).parent / "debugger_v2.png")


if __name__ == "__main__":
    main()
