"""A short video through the shipped network (`python figures/video_demo.py`).

Makes a 3-second clip that pans across Tübingen (which the network never saw), stylises it
with `neural-style --model starry_night`, prints the command's flicker measurement and
writes figures/realtime_video_frames.png: four input frames above their stylised frames.
"""

import subprocess
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
OUT = HERE.parent / "results" / "video"


def make_clip(path, frames=72, fps=24, size=(384, 288)):
    """A slow pan and zoom over the photo: neighbouring frames differ a little, as in film."""
    import imageio_ffmpeg
    from PIL import Image

    from neural_style import data

    photo = Image.fromarray(data.load("tubingen"))
    w, h = size
    writer = imageio_ffmpeg.write_frames(str(path), size, fps=fps, macro_block_size=1)
    writer.send(None)
    for i in range(frames):
        t = i / (frames - 1)
        cw, ch = int(photo.width * (0.7 - 0.1 * t)), int(photo.height * (0.7 - 0.1 * t))
        x0, y0 = int((photo.width - cw) * t), int((photo.height - ch) * 0.3)
        writer.send(
            np.asarray(photo.resize(size, Image.Resampling.BICUBIC, box=(x0, y0, x0 + cw, y0 + ch)))
        )
    writer.close()


def main():
    import imageio_ffmpeg

    from neural_style.images import save_image
    from neural_style.viz import thumbnail_row

    OUT.mkdir(parents=True, exist_ok=True)
    clip, styled = OUT / "pan.mp4", OUT / "pan_starry_night.mp4"
    make_clip(clip)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "neural_style",
            "--model",
            "starry_night",
            "--content",
            str(clip),
            "-o",
            str(styled),
        ],
        check=True,
    )
    rows = []
    for path in (clip, styled):
        reader = imageio_ffmpeg.read_frames(str(path))
        meta = next(reader)
        w, h = meta["size"]
        frames = [np.frombuffer(f, np.uint8).reshape(h, w, 3) for f in reader]
        rows.append(thumbnail_row([frames[i] for i in (0, 24, 48, 71)], height=144))
    print(save_image(HERE / "realtime_video_frames.png", np.concatenate(rows)))


if __name__ == "__main__":
    main()
