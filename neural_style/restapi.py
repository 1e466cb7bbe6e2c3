"""TF Serving's REST API, as ``neural-style serve`` speaks it: request paths, JSON bodies
of base64 images in and out, and errors as TF Serving gives them (a JSON ``{"error":
...}`` with a 4xx status), so that a TF Serving client of these calls works here too
(``style``, ``style_mix`` and the model list are this server's own).

    POST /v1/models/NAME[/versions/N]:predict
        {"instances": [{"b64": "<jpeg or png>"}, ...]}          (row format)
        {"inputs": [{"b64": ...}, ...]}                          (columnar, one input)
        an instance may add "style": "name" or "style_mix": {"name": weight, ...}
    -> {"predictions": [{"b64": "<png>"}, ...]}
    GET  /v1/models/NAME[/versions/N]
    -> {"model_version_status": [{"version": "2", "state": "AVAILABLE", "status": {...}}]}

Nothing here imports Ray or a deep learning framework: it is plain parsing, tested alone.
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import re
import warnings

import numpy as np

MAX_PIXELS = 4096 * 4096  # per image: a 16-megapixel photo (a style network needs ~15 GB for it)
MAX_INSTANCES = 64
FORMATS = ("JPEG", "PNG")  # what the API takes; Pillow would open many more
_PATH = re.compile(
    r"^(?P<name>[A-Za-z0-9_.-]+)(?:/versions/(?P<version>\d+))?(?::(?P<verb>[a-z]+))?$"
)


class RestError(Exception):
    """A request the server refuses: ``status`` (4xx) and a one-line message."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status

    def body(self) -> dict:
        return {"error": str(self)}


def parse_path(spec) -> tuple[str, int | None, str | None]:
    """``NAME[/versions/N][:verb]`` (what follows ``/v1/models/``) -> (name, version or
    None, verb or None)."""
    match = _PATH.match(spec or "")
    if not match:
        raise RestError(
            404, f"no such path /v1/models/{spec}; use /v1/models/NAME[/versions/N]:predict"
        )
    version = match["version"]
    return match["name"], int(version) if version else None, match["verb"]


def open_body(raw: bytes, max_pixels=MAX_PIXELS, max_request_pixels=None) -> list[tuple]:
    """A predict request's body -> one (opened image, looks) per instance, nothing
    decoded yet: the looks are the instance's ``style`` (a name) / ``style_mix`` ({name:
    weight}) where given.  Each image's declared size is checked against ``max_pixels``,
    and all of them together against ``max_request_pixels`` (default ``max_pixels``)."""
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise RestError(
            400,
            'the request body is not JSON; send {"instances": [{"b64": "<base64 JPEG or PNG>"}]}',
        ) from None
    if not isinstance(body, dict):
        raise RestError(400, 'the request body must be a JSON object with "instances" or "inputs"')
    instances = body.get("instances", body.get("inputs"))
    if isinstance(instances, dict):  # columnar: {"inputs": {"images": [...]}} with one input
        instances = next(iter(instances.values()), None) if len(instances) == 1 else None
    if not isinstance(instances, list) or not instances:
        raise RestError(
            400, 'no instances: send {"instances": [{"b64": "<base64 JPEG or PNG>"}, ...]}'
        )
    if len(instances) > MAX_INSTANCES:
        raise RestError(
            400, f"{len(instances)} instances in one request; send at most {MAX_INSTANCES}"
        )
    opened = [_open(item, k, max_pixels) for k, item in enumerate(instances)]
    total, budget = pixels(opened), max_request_pixels or max_pixels
    if total > budget:
        raise RestError(
            413,
            f"the request's images hold {total:,} pixels, over this server's limit of {budget:,} "
            "per request; send fewer or smaller images",
        )
    return opened


def decode_body(opened) -> list[dict]:
    """``open_body``'s images decoded: one dict per instance, ``image`` (uint8 H, W, 3)
    and its ``style`` / ``style_mix`` where given."""
    return [{"image": _decode(im, k), **looks} for k, (im, looks) in enumerate(opened)]


def parse_body(raw: bytes, max_pixels=MAX_PIXELS, max_request_pixels=None) -> list[dict]:
    """A predict request's body -> one dict per instance (``decode_body``): ``open_body``
    then ``decode_body``."""
    return decode_body(open_body(raw, max_pixels, max_request_pixels))


def pixels(opened) -> int:
    """The pixels ``open_body``'s images will decode to."""
    return sum(im.width * im.height for im, _ in opened)


def _open(item, k, max_pixels):
    """(the opened image, its looks): the size read from the header, nothing decoded yet."""
    if not (isinstance(item, dict) and isinstance(item.get("b64"), str)):
        raise RestError(400, f'instance {k} is not {{"b64": "<base64 JPEG or PNG>"}}')
    looks = {key: item[key] for key in ("style", "style_mix") if item.get(key) is not None}
    if not isinstance(looks.get("style", ""), str):
        raise RestError(400, f'instance {k}: "style" must be a style\'s name (a string)')
    mix = looks.get("style_mix")
    if mix is not None and not (
        isinstance(mix, dict)
        and all(isinstance(w, (int, float)) and not isinstance(w, bool) for w in mix.values())
    ):
        raise RestError(
            400,
            f'instance {k}: "style_mix" must be an object of style names and numbers, such as '
            '{"starry_night": 0.7, "the_scream": 0.3}',
        )
    return open_image(item["b64"], k, max_pixels), looks


def decode_image(b64, k=0, max_pixels=MAX_PIXELS) -> np.ndarray:
    """Base64 JPEG/PNG -> RGB uint8 (H, W, 3), decoded as the command decodes files;
    its size is checked before it is decoded."""
    return _decode(open_image(b64, k, max_pixels), k)


def open_image(b64, k=0, max_pixels=MAX_PIXELS):
    """Base64 JPEG/PNG -> an opened, not yet decoded Pillow image, its format and
    declared size checked (4xx otherwise)."""
    from PIL import Image, UnidentifiedImageError

    try:
        data = base64.b64decode(b64, validate=True)
    except (binascii.Error, ValueError):
        raise RestError(400, f'instance {k}: "b64" is not base64') from None
    try:
        with warnings.catch_warnings():
            # our own limit decides, below
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=FORMATS)
    except Image.DecompressionBombError:  # declares far more pixels than Pillow's own limit
        raise RestError(
            413,
            f"instance {k}: the image declares more pixels than this server's limit of "
            f"{max_pixels:,}; send a smaller image",
        ) from None
    except (UnidentifiedImageError, OSError, ValueError):
        raise RestError(400, f'instance {k}: "b64" is not a JPEG or PNG image') from None
    if image.width * image.height > max_pixels:
        raise RestError(
            413,
            f"instance {k}: {image.width}x{image.height} px is over this server's limit of "
            f"{max_pixels:,} pixels; send a smaller image",
        )
    return image


def _decode(image, k) -> np.ndarray:
    from neural_style.images import rgb_array

    try:
        return rgb_array(image)
    except (OSError, ValueError, SyntaxError):
        raise RestError(
            400, f'instance {k}: "b64" is a damaged or truncated {image.format} image'
        ) from None


def encode_png(image) -> str:
    """RGB uint8 (H, W, 3) -> base64 PNG text."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(np.asarray(image, np.uint8)).save(buffer, format="PNG", compress_level=1)
    return base64.b64encode(buffer.getvalue()).decode()


def predictions(images) -> dict:
    """The reply to a predict request: ``{"predictions": [{"b64": png}, ...]}``."""
    return {"predictions": [{"b64": encode_png(image)} for image in images]}


def version_status(versions: dict, version=None, errors=None) -> dict:
    """``{version: state}`` (LOADING, AVAILABLE, UNLOADING, END) as TF Serving's model
    status reply, for one version or all; ``errors`` ``{version: message}`` for versions
    that failed to load (END, error code UNKNOWN, as TF Serving reports them)."""
    if version is not None and version not in versions:
        raise RestError(
            404,
            f"version {version} is not known; versions: "
            f"{', '.join(map(str, sorted(versions))) or 'none'}",
        )
    errors = errors or {}
    chosen = [version] if version is not None else sorted(versions)
    status = {
        v: {"error_code": "UNKNOWN", "error_message": errors[v]}
        if v in errors
        else {"error_code": "OK", "error_message": ""}
        for v in chosen
    }
    return {
        "model_version_status": [
            {"version": str(v), "state": versions[v], "status": status[v]} for v in chosen
        ]
    }
