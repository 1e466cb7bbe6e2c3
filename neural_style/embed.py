"""Styles as points: the Gram matrices the lesson calls style, written for TensorBoard's
Embedding Projector (``tensorboard.plugins.projector``: a checkpointed variable, labels in
``metadata.tsv``, a sprite of thumbnails), and the distances between them.

A style vector is the upper triangle of the Gram matrix at each of ``EMBED_LAYERS``, each
layer's part scaled to unit length so that no layer outweighs the others, then the whole
to unit length: the distance between two images is then how far apart their styles are,
whatever their sizes or contents."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from neural_style.errors import NeuralStyleError

# The first three of the style layers: fine to medium strokes, and 43,232 numbers an image
# (the last two would add 262,656, for a checkpoint 7 times larger).
EMBED_LAYERS = ("block1_conv2", "block2_conv2", "block3_conv2")
THUMB = 64  # px, a side of each image in the sprite
VECTOR_NAME = "styles"
TENSOR_NAME = (
    f"{VECTOR_NAME}/.ATTRIBUTES/VARIABLE_VALUE"  # the variable, as its checkpoint names it
)
PAINTINGS = ("shipwreck", "starry_night", "the_scream", "woman_with_hat")  # the lesson's, in data/


@dataclass
class Point:
    """One image to embed: RGB 0..255 (H, W, 3), its label and its group."""

    label: str
    group: str
    image: np.ndarray


def style_vectors(images, size=None, weights="imagenet") -> np.ndarray:
    """Style vectors (N, 43,232) of RGB 0..255 images, as the module docstring says; with
    ``size``, each image is first resized to ``size`` px on its longest side.  Strokes
    are measured in pixels: compare images at the scale they are seen at."""
    from neural_style import images as im
    from neural_style import perceptual

    vgg = perceptual.vgg_features(EMBED_LAYERS, weights)
    vectors = []
    for image in images:
        image = (
            im.resize(np.asarray(image), size=size, resample="bicubic")
            if size
            else np.asarray(image)
        )
        grams = perceptual.style_grams(vgg, image)
        parts = [g[np.triu_indices(len(g))] for g in grams]
        parts = [p / (np.linalg.norm(p) + 1e-12) for p in parts]
        vector = np.concatenate(parts)
        vectors.append(vector / np.linalg.norm(vector))
    return np.asarray(vectors, np.float32)


def distances(vectors) -> np.ndarray:
    """Cosine distances (N, N) between unit style vectors: 0 the same style, up to 2."""
    vectors = np.asarray(vectors, np.float64)
    return np.clip(1.0 - vectors @ vectors.T, 0.0, 2.0)


def crops(image, n=2) -> list:
    """The ``n`` x ``n`` tiles of ``image``: parts of one painting, which should sit near
    it when each is seen at the painting's scale (cut from it at ``n`` times the size)."""
    h, w = image.shape[:2]
    return [
        image[i * h // n : (i + 1) * h // n, j * w // n : (j + 1) * w // n]
        for i in range(n)
        for j in range(n)
    ]


def sprite(images, thumb=THUMB) -> np.ndarray:
    """One square image of every thumbnail, row by row (the projector's sprite)."""
    from neural_style import images as im

    side = int(np.ceil(np.sqrt(len(images))))
    sheet = np.full((side * thumb, side * thumb, 3), 255, np.uint8)
    for k, image in enumerate(images):
        small = im.resize(np.asarray(image), shape=(thumb, thumb), resample="bicubic")
        r, c = divmod(k, side)
        sheet[r * thumb : (r + 1) * thumb, c * thumb : (c + 1) * thumb] = im.to_uint8(small)
    return sheet


def write_projector(points, logdir, size=None, weights="imagenet") -> Path:
    """Write ``points`` (a list of ``Point``) for TensorBoard's projector into ``logdir``:
    the checkpoint of their style vectors, ``metadata.tsv`` (label, group), ``sprite.png``
    and ``projector_config.pbtxt``.  Returns ``logdir``; ``tensorboard --logdir LOGDIR``
    shows them under Projector.  ``size``: as ``style_vectors``."""
    if not points:
        raise NeuralStyleError("no images to embed; give image files, folders or lesson names")
    from neural_style.images import save_image

    try:
        import tensorflow as tf
        from tensorboard.plugins import projector
    except ImportError:
        raise NeuralStyleError(
            "the Embedding Projector needs TensorFlow and TensorBoard: pip install '.[cpu]' in "
            "the neural_style folder"
        ) from None
    logdir = Path(logdir)
    logdir.mkdir(parents=True, exist_ok=True)
    vectors = style_vectors([p.image for p in points], size, weights)
    with open(logdir / "metadata.tsv", "w", newline="") as f:
        table = csv.writer(f, delimiter="\t", lineterminator="\n")
        table.writerow(["label", "group"])
        table.writerows([p.label, p.group] for p in points)
    save_image(logdir / "sprite.png", sprite([p.image for p in points]))
    tf.train.Checkpoint(**{VECTOR_NAME: tf.Variable(vectors)}).save(str(logdir / "embedding.ckpt"))
    config = projector.ProjectorConfig()
    embedding = config.embeddings.add()
    embedding.tensor_name = TENSOR_NAME
    embedding.metadata_path = "metadata.tsv"
    embedding.sprite.image_path = "sprite.png"
    embedding.sprite.single_image_dim.extend([THUMB, THUMB])
    projector.visualize_embeddings(str(logdir), config)
    return logdir


def read_projector(logdir):
    """What ``write_projector`` wrote, read back: (vectors (N, D), [(label, group)])."""
    import tensorflow as tf

    logdir = Path(logdir)
    reader = tf.train.load_checkpoint(str(logdir))
    vectors = reader.get_tensor(TENSOR_NAME)
    with open(logdir / "metadata.tsv", newline="") as f:
        rows = list(csv.reader(f, delimiter="\t"))[1:]
    return vectors, [tuple(r) for r in rows]


def lesson_points(photos=("tubingen",), size=256) -> list:
    """The default set, every image ``size`` px on its longest side: the lesson's four
    paintings and four tiles of each (cut at twice the size: the painting's own scale), the
    photos, and what every shipped style network (every style of a many-style one, and an
    even blend of its first two) makes of each photo."""
    from neural_style import data, inference

    points = []
    for name in PAINTINGS:
        points.append(Point(name, "painting", data.load(name, size=size, resample="bicubic")))
        tiles = crops(data.load(name, size=2 * size, resample="bicubic"))
        points += [
            Point(f"{name} tile {k + 1}", "painting tile", tile) for k, tile in enumerate(tiles)
        ]
    for photo_name in photos:
        photo = data.load(photo_name, size=size, resample="bicubic")
        points.append(Point(photo_name, "photo", photo))
        for model in inference.shipped_models():
            network = inference.load(model)
            if not network.kind.needs_style:  # super-resolution paints no style
                continue
            styles = network.kind.describe(network.meta).get("styles") or [model]
            if len(styles) == 1:
                points.append(
                    Point(f"{model} on {photo_name}", f"result: {styles[0]}", network.apply(photo))
                )
                continue
            for style in styles:
                points.append(
                    Point(
                        f"{model}/{style} on {photo_name}",
                        f"result: {style}",
                        network.apply(photo, style=style),
                    )
                )
            mix = {styles[0]: 0.5, styles[1]: 0.5}
            points.append(
                Point(
                    f"{model}/{styles[0]}+{styles[1]} on {photo_name}",
                    "blend",
                    network.apply(photo, style_mix=mix),
                )
            )
    return points
