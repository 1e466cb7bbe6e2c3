"""TF Serving's REST shapes (neural_style.restapi), without a server: paths, bodies,
images in and out, and each bad request's status and one-line message."""

import base64
import io
import json

import numpy as np
import pytest
from PIL import Image

from neural_style import restapi
from neural_style.restapi import RestError


def b64(image, fmt="PNG"):
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format=fmt)
    return base64.b64encode(buffer.getvalue()).decode()


def test_paths():
    assert restapi.parse_path("starry_night:predict") == ("starry_night", None, "predict")
    assert restapi.parse_path("superres/versions/12:predict") == ("superres", 12, "predict")
    assert restapi.parse_path("paintings") == ("paintings", None, None)
    with pytest.raises(RestError) as e:
        restapi.parse_path("a/b/c:predict")
    assert e.value.status == 404


def test_a_body_round_trips_images_exactly(rng):
    image = rng.integers(0, 256, (5, 7, 3), np.uint8)
    body = json.dumps(
        {
            "instances": [
                {"b64": b64(image)},
                {"b64": b64(image), "style": "a", "style_mix": {"a": 1}},
            ]
        }
    ).encode()
    items = restapi.parse_body(body)
    assert np.array_equal(items[0]["image"], image) and set(items[0]) == {"image"}
    assert items[1]["style"] == "a" and items[1]["style_mix"] == {"a": 1}
    columnar = restapi.parse_body(
        json.dumps({"inputs": {"images": [{"b64": b64(image)}]}}).encode()
    )
    assert np.array_equal(columnar[0]["image"], image)
    reply = restapi.predictions([image])
    assert np.array_equal(
        np.asarray(Image.open(io.BytesIO(base64.b64decode(reply["predictions"][0]["b64"])))), image
    )


def test_grey_and_rgba_images_become_rgb(rng):
    grey = rng.integers(0, 256, (4, 6), np.uint8)
    item = restapi.parse_body(json.dumps({"instances": [{"b64": b64(grey)}]}).encode())[0]
    assert item["image"].shape == (4, 6, 3) and np.array_equal(item["image"][..., 1], grey)


@pytest.mark.parametrize(
    "body, status, message",
    [
        (b"not json", 400, "not JSON"),
        (b"[1, 2]", 400, "JSON object"),
        (b"{}", 400, "no instances"),
        (b'{"instances": []}', 400, "no instances"),
        (b'{"instances": [{"image": 1}]}', 400, "instance 0 is not"),
        (b'{"instances": [{"b64": "%%%"}]}', 400, "not base64"),
        (b'{"instances": [{"b64": "aGVsbG8="}]}', 400, "not a JPEG or PNG"),
        (b"[" * 100_000 + b"]" * 100_000, 400, "not JSON"),  # nested past Python's recursion limit
        (b'{"instances": [{"b64": "", "style": ["the_scream"]}]}', 400, "must be a style's name"),
        (
            b'{"instances": [{"b64": "", "style_mix": ["starry_night"]}]}',
            400,
            "style names and numbers",
        ),
        (
            b'{"instances": [{"b64": "", "style_mix": {"starry_night": "abc"}}]}',
            400,
            "style names and numbers",
        ),
        (
            b'{"instances": [{"b64": "", "style_mix": {"starry_night": true}}]}',
            400,
            "style names and numbers",
        ),
    ],
)
def test_bad_bodies(body, status, message):
    with pytest.raises(RestError) as e:
        restapi.parse_body(body)
    assert e.value.status == status and message in str(e.value) and "\n" not in str(e.value)
    assert e.value.body() == {"error": str(e.value)}


def test_an_image_over_the_pixel_limit_is_refused_before_it_is_decoded(rng):
    image = rng.integers(0, 256, (100, 100, 3), np.uint8)
    with pytest.raises(RestError) as e:
        restapi.parse_body(
            json.dumps({"instances": [{"b64": b64(image, "JPEG")}]}).encode(), max_pixels=9999
        )
    assert e.value.status == 413 and "100x100 px" in str(e.value)
    assert restapi.parse_body(
        json.dumps({"instances": [{"b64": b64(image, "JPEG")}]}).encode(), max_pixels=10000
    )[0]["image"].shape == (100, 100, 3)


def test_16_bit_grey_is_decoded_as_the_command_decodes_it(rng, tmp_path):
    from neural_style import images

    grey = rng.integers(0, 65536, (6, 9), np.uint16)
    Image.fromarray(grey).save(tmp_path / "grey16.png")
    encoded = base64.b64encode((tmp_path / "grey16.png").read_bytes()).decode()
    item = restapi.parse_body(json.dumps({"instances": [{"b64": encoded}]}).encode())[0]
    want = images.load_image(tmp_path / "grey16.png")
    assert (
        np.array_equal(item["image"], want)
        and want.max() > 200
        and np.abs(want[..., 0].astype(int) - grey // 257).max() <= 1
    )


@pytest.mark.parametrize("fmt", ["GIF", "BMP", "TIFF", "WEBP"])
def test_only_jpeg_and_png_are_taken(fmt, rng):
    encoded = b64(rng.integers(0, 256, (8, 8, 3), np.uint8), fmt)
    with pytest.raises(RestError) as e:
        restapi.parse_body(json.dumps({"instances": [{"b64": encoded}]}).encode())
    assert e.value.status == 400 and "not a JPEG or PNG" in str(e.value)


def bomb(width, height):
    """A PNG of one grey pixel whose header declares width x height px (its IHDR chunk
    rewritten, checksum and all): what a decompression bomb shows before it is decoded."""
    import struct
    import zlib

    buffer = io.BytesIO()
    Image.new("L", (1, 1)).save(buffer, format="PNG")
    png = bytearray(buffer.getvalue())
    header = b"IHDR" + struct.pack(">II", width, height) + bytes(png[24:29])
    png[12:33] = header + struct.pack(">I", zlib.crc32(header))
    return base64.b64encode(bytes(png)).decode()


def test_bombs_are_refused_by_their_declared_size_before_decoding():
    small = bomb(2000, 2000)
    assert len(small) < 200  # under 200 bytes that declare 4 megapixels
    for encoded, limit, message in [
        (bomb(30000, 30000), 16_000_000, "than this server's limit"),
        (small, 3_999_999, "2000x2000 px"),
    ]:
        with pytest.raises(RestError) as e:
            restapi.parse_body(
                json.dumps({"instances": [{"b64": encoded}]}).encode(), max_pixels=limit
            )
        assert e.value.status == 413 and message in str(e.value)
    # each under the limit, together over it
    two = json.dumps({"instances": [{"b64": small}, {"b64": small}]}).encode()
    with pytest.raises(RestError) as e:
        restapi.parse_body(two, max_pixels=5_000_000)
    assert (
        e.value.status == 413
        and "8,000,000 pixels" in str(e.value)
        and "per request" in str(e.value)
    )
    with pytest.raises(RestError) as e:  # under both limits: decoded, and found to hold no pixels
        restapi.parse_body(two, max_pixels=5_000_000, max_request_pixels=8_000_000)
    assert e.value.status == 400 and "damaged or truncated PNG" in str(e.value)


def test_too_many_instances():
    with pytest.raises(RestError) as e:
        restapi.parse_body(
            json.dumps({"instances": [{"b64": "x"}] * (restapi.MAX_INSTANCES + 1)}).encode()
        )
    assert e.value.status == 400 and "at most" in str(e.value)


def test_version_status():
    versions = {1: "END", 2: "AVAILABLE"}
    status = restapi.version_status(versions)["model_version_status"]
    assert [(s["version"], s["state"]) for s in status] == [("1", "END"), ("2", "AVAILABLE")]
    assert restapi.version_status(versions, 2)["model_version_status"][0]["state"] == "AVAILABLE"
    with pytest.raises(RestError) as e:
        restapi.version_status(versions, 3)
    assert e.value.status == 404
