"""figures/embedding_projector.png: the lesson's styles (``neural-style embed``'s default
set) in TensorBoard's Embedding Projector, served on 127.0.0.1 and photographed in
headless Chromium with software WebGL.  Needs the test extra (Playwright) and Debian's
chromium; ``tests/test_embed.py`` drives the same page."""

import contextlib
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def serve(logdir, port, wait=120, probe="/data/plugin/projector/runs"):
    """TensorBoard on 127.0.0.1:``port`` over ``logdir`` (a subprocess; stop it with
    terminate), once its plugin answers at ``probe``.  Started in ``logdir``'s parent with the
    folder's
    name alone, so that the page names the checkpoint by it, not by a path of this machine."""
    logdir = Path(logdir).resolve()
    board = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tensorboard.main",
            "--logdir",
            logdir.name,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        cwd=logdir.parent,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    end = time.monotonic() + wait
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}{probe}", timeout=10).read()
            return board
        except OSError:
            if time.monotonic() > end or board.poll() is not None:
                board.terminate()
                raise RuntimeError(
                    f"TensorBoard did not answer on 127.0.0.1:{port} within {wait} s"
                ) from None
            time.sleep(1)


@contextlib.contextmanager
def tensorboard(logdir, probe="/data/plugin/projector/runs"):
    """TensorBoard serving ``logdir`` on a free port of 127.0.0.1 while the block runs
    (``serve``): its address, such as ``http://127.0.0.1:6006``."""
    from neural_style import localserver

    port = localserver.free_port()
    board = serve(logdir, port, probe=probe)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        board.terminate()
        board.wait(timeout=30)


def screenshot(url, path, size=(1280, 800)):
    """The projector page at ``url`` in headless Chromium, once it has fetched the tensor
    and the sprite and drawn them; returns the bytes of the tensor it fetched."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--use-angle=swiftshader", "--enable-unsafe-swiftshader"],
        )
        page = browser.new_page(viewport={"width": size[0], "height": size[1]})
        with page.expect_response(
            lambda r: "/data/plugin/projector/tensor" in r.url, timeout=120_000
        ) as tensor:
            with page.expect_response(
                lambda r: "/data/plugin/projector/sprite_image" in r.url, timeout=120_000
            ):
                page.goto(url)
        fetched = tensor.value.body()
        time.sleep(8)  # PCA and the first frames of the 3-D view
        page.screenshot(path=str(path))
        browser.close()
    return fetched


def main():
    from neural_style import embed

    with tempfile.TemporaryDirectory() as tmp:
        logdir = embed.write_projector(embed.lesson_points(), Path(tmp) / "styles")
        with tensorboard(logdir) as url:
            screenshot(f"{url}/#projector", Path(__file__).parent / "embedding_projector.png")


if __name__ == "__main__":
    main()
