"""Tests for keras_rnn_kit/data/image_io.py."""

import contextlib
import functools
import io
import resource
import struct
import time
import zlib

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from keras_rnn_kit.data.image_io import MAX_IMAGE_PIXELS
from keras_rnn_kit.data.image_io import check_images
from keras_rnn_kit.data.image_io import decode_image_bytes
from keras_rnn_kit.data.image_io import encode_png
from keras_rnn_kit.data.image_io import load_image
from keras_rnn_kit.data.image_io import preprocess_image_batch


def _png_bytes(array):
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return buffer.getvalue()


def test_load_image_round_trips_png_bytes_and_files(tmp_path, rng):
    pixels = rng.integers(0, 256, (5, 7, 3), dtype=np.uint8)
    np.testing.assert_array_equal(load_image(_png_bytes(pixels)), pixels)
    path = tmp_path / "image.png"
    path.write_bytes(_png_bytes(pixels))
    np.testing.assert_array_equal(load_image(path), pixels)


def test_load_image_converts_grayscale_and_resizes():
    gray = np.full((6, 6), 200, np.uint8)
    image = load_image(_png_bytes(gray), size=(3, 4))
    assert image.shape == (3, 4, 3)
    np.testing.assert_array_equal(image, 200)


@pytest.mark.parametrize(
    "payload", [b"not an image at all", _png_bytes(np.zeros((8, 8, 3), np.uint8))[:40]]
)
def test_load_image_rejects_corrupt_bytes(payload):
    with pytest.raises(ValueError, match=rf"`source`.*{len(payload)} bytes"):
        load_image(payload)


def test_load_image_rejects_missing_file_and_bad_types(tmp_path):
    with pytest.raises(ValueError, match="missing.png"):
        load_image(tmp_path / "missing.png")
    with pytest.raises(TypeError, match="`source`"):
        load_image(123)
    with pytest.raises(ValueError, match="`size`"):
        load_image(_png_bytes(np.zeros((4, 4, 3), np.uint8)), size=0)


def test_check_images_scales_uint8_and_repeats_one_channel():
    images = np.array([[[[0], [255]]]], np.uint8)  # (1, 1, 2, 1)
    out = check_images(images)
    assert out.dtype == np.float32 and out.shape == (1, 1, 2, 3)
    np.testing.assert_allclose(out[0, 0, :, 0], [0.0, 1.0])


def test_check_images_resizes_to_the_model_size():
    images = np.full((2, 10, 12, 3), 0.25, np.float32)
    out = check_images(images, image_size=8)
    assert out.shape == (2, 8, 8, 3)
    np.testing.assert_allclose(out, 0.25, atol=1e-6)


@pytest.mark.parametrize(
    "images, message",
    [
        (np.zeros((8, 8, 3), np.uint8), "rank 4"),
        (np.zeros((1, 8, 8, 4), np.uint8), "1 or 3 channels"),
        (np.full((1, 4, 4, 3), 2.0, np.float32), r"\[0, 1\]"),
        (np.zeros((1, 4, 4, 3), np.int32), "uint8 or floating"),
    ],
)
def test_check_images_rejects_bad_batches(images, message):
    with pytest.raises(ValueError, match=message):
        check_images(images)


def test_encode_png_round_trips_through_load_image():
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (5, 7, 3), dtype=np.uint8)
    np.testing.assert_array_equal(load_image(encode_png(image)), image)
    # Floats in [0, 1] are scaled to bytes first.
    np.testing.assert_array_equal(load_image(encode_png(image / 255.0)), image)


# Bounded decoding: images that claim 20000x20000 pixels (1.2 GB as RGB).
BOMB_SIDE = 20000


def _chunk(kind, data):
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))


@functools.cache
def _png_claiming(width, height):
    """A complete, valid 1-bit grayscale PNG of zeros: ~50 KB that decode to
    `width * height * 3` bytes of RGB."""
    compressor = zlib.compressobj(9)
    row = b"\0" * (1 + (width + 7) // 8)  # Filter byte, then the packed bits.
    idat = b"".join(compressor.compress(row) for _ in range(height))
    idat += compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", idat)
        + _chunk(b"IEND", b"")
    )


def _jpeg_claiming(width, height):
    """A small JPEG whose SOF0 marker is patched to claim `width x height`."""
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "gray").save(buffer, format="JPEG")
    data = bytearray(buffer.getvalue())
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def _bmp_claiming(width, height):
    """A small BMP whose info header is patched to claim `width x height`."""
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "gray").save(buffer, format="BMP")
    data = bytearray(buffer.getvalue())
    data[18:26] = struct.pack("<ii", width, -height)  # Negative: top-down rows.
    return bytes(data)


@contextlib.contextmanager
def _cheap(seconds=1.0, megabytes=100):
    """Asserts the block takes under `seconds` and grows the peak RSS by under
    `megabytes` (a 20000x20000 RGB decode would need 1200 MB)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    start = time.perf_counter()
    yield
    elapsed = time.perf_counter() - start
    growth = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak) / 1024
    assert elapsed < seconds, f"took {elapsed:.2f} s"
    assert growth < megabytes, f"peak RSS grew by {growth:.0f} MB"


@functools.cache
def _graph_decoder(max_pixels=MAX_IMAGE_PIXELS):
    """`decode_image_bytes` in a graph, as the serving signatures run it."""
    return tf.function(
        lambda image_bytes: decode_image_bytes(image_bytes, 8, max_pixels),
        input_signature=[tf.TensorSpec((None,), tf.string)],
    )


def _decode_in_graph(blob, max_pixels=MAX_IMAGE_PIXELS):
    return _graph_decoder(max_pixels)(tf.constant([blob])).numpy()


@pytest.mark.parametrize(
    "claiming",
    [_png_claiming, _jpeg_claiming, _bmp_claiming],
    ids=["png", "jpeg", "bmp"],
)
def test_decode_image_bytes_refuses_huge_images_from_the_header(claiming):
    blob = claiming(BOMB_SIDE, BOMB_SIDE)
    _decode_in_graph(encode_png(np.zeros((8, 8, 3), np.uint8)))  # Traces it.
    with _cheap(), pytest.raises(tf.errors.InvalidArgumentError) as error:
        _decode_in_graph(blob)
    assert f"{BOMB_SIDE}x{BOMB_SIDE} (width x height)" in str(error.value)
    assert f"limit of {MAX_IMAGE_PIXELS} pixels" in str(error.value)


def test_decode_image_bytes_limit_is_an_argument_and_normal_images_pass(rng):
    pixels = rng.integers(0, 256, (6, 8, 3), dtype=np.uint8)  # 48 pixels
    for format in ("PNG", "BMP", "JPEG"):
        buffer = io.BytesIO()
        Image.fromarray(pixels).save(buffer, format=format)
        blob = buffer.getvalue()
        got = decode_image_bytes(tf.constant([blob]), 8, max_pixels=48).numpy()
        want = check_images(load_image(blob)[None], image_size=8)
        np.testing.assert_allclose(got, want, atol=1e-6)
        with pytest.raises(tf.errors.InvalidArgumentError, match="8x6.*limit of 47"):
            _decode_in_graph(blob, max_pixels=47)
    with pytest.raises(ValueError, match="`max_pixels`"):
        decode_image_bytes(tf.constant([blob]), 8, max_pixels=0)


def test_decode_image_bytes_refuses_formats_it_cannot_bound():
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4)).save(buffer, format="GIF")
    with pytest.raises(tf.errors.InvalidArgumentError, match="JPEG, PNG or BMP"):
        _decode_in_graph(buffer.getvalue())


@pytest.mark.parametrize(
    "claiming, side, message",
    [
        (_png_claiming, 5000, r"5000x5000 \(width x height\) = 25000000 pixels"),
        (_png_claiming, BOMB_SIDE, "400000000 pixels"),  # Pillow's bomb error
        (_jpeg_claiming, BOMB_SIDE, "400000000 pixels"),
    ],
)
def test_load_image_refuses_huge_images_from_the_header(claiming, side, message):
    blob = claiming(side, side)
    with _cheap(), pytest.raises(ValueError, match=rf"`source`.*{message}") as error:
        load_image(blob)
    assert f"`max_pixels`={MAX_IMAGE_PIXELS}" in str(error.value)


def test_load_image_turns_pillows_bomb_warning_into_an_error():
    blob = _png_claiming(10000, 10000)  # Over Pillow's warning limit only.
    with _cheap(), pytest.raises(ValueError, match="Pillow says.*100000000 pixels"):
        load_image(blob, max_pixels=10**9)
    assert load_image(_png_claiming(16, 2), max_pixels=32).shape == (2, 16, 3)


@pytest.mark.parametrize(
    "check", [check_images, lambda x: preprocess_image_batch(x, 4)]
)
@pytest.mark.parametrize(
    "value, message",
    [
        (np.nan, "finite.*1 NaN or infinite"),
        (np.inf, "finite.*1 NaN or infinite"),
        (200.0, r"\[0, 200\]. These look like 0-255 pixels: pass uint8"),
        (-0.5, r"\[-0.5, 0.9\]\.$"),
    ],
)
def test_float_images_must_be_finite_and_in_unit_range(check, value, message):
    images = np.full((1, 4, 4, 3), 0.9, np.float32)
    images[0, 0, 0, 0] = 0.0
    images[0, 1, 1, 1] = value
    with pytest.raises(ValueError, match=rf"`images`.*{message}"):
        check(images)
