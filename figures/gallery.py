"""Build the README gallery with the neural-style command (`make gallery`).

For each style: run `neural-style --content tubingen --style NAME --size 384 --seed 0`,
then write figures/gallery_NAME.png: content | style | result, as thumbnails.
"""

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
STYLES = ["starry_night", "shipwreck", "the_scream"]
CONTENT = "tubingen"


def main():
    from neural_style import data
    from neural_style.images import load_image, save_image
    from neural_style.viz import thumbnail_row

    for style in STYLES:
        out = HERE.parent / "results" / "gallery" / f"{CONTENT}_{style}.png"
        cmd = ["neural-style", "--content", CONTENT, "--style", style, "--size", "384", "--seed", "0", "-o", str(out)]
        print("$", " ".join(cmd), flush=True)
        subprocess.run([sys.executable, "-m", "neural_style", *cmd[1:]], check=True)
        row = thumbnail_row([data.load(CONTENT), data.load(style), load_image(out)], height=200)
        print(save_image(HERE / f"gallery_{style}.png", row))


if __name__ == "__main__":
    main()
