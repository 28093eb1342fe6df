"""Tests for keras_rnn_kit/data/image_io.py."""

import io

import numpy as np
import pytest
from PIL import Image

from keras_rnn_kit.data.image_io import check_images
from keras_rnn_kit.data.image_io import load_image


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
    from keras_rnn_kit.data.image_io import encode_png

    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (5, 7, 3), dtype=np.uint8)
    np.testing.assert_array_equal(load_image(encode_png(image)), image)
    # Floats in [0, 1] are scaled to bytes first.
    np.testing.assert_array_equal(load_image(encode_png(image / 255.0)), image)
