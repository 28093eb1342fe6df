"""Tests for keras_rnn_kit/models/vqa/vqa_export.py (the in-graph image decoder
and the JSON assets; the exports themselves: tests/export/test_vision_export.py).
"""

import io
import json

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from keras_rnn_kit.data.image_io import check_images
from keras_rnn_kit.data.image_io import load_image
from keras_rnn_kit.models.vqa import VQABackbone
from keras_rnn_kit.models.vqa import VQAModel
from keras_rnn_kit.models.vqa import VQAPreprocessor
from keras_rnn_kit.models.vqa.vqa_export import decode_image_bytes


def encode(image, format, **kwargs):
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format=format, **kwargs)
    return buffer.getvalue()


def test_png_bytes_decode_like_load_image_and_check_images(rng):
    rgb = rng.integers(0, 256, (12, 10, 3)).astype("uint8")
    gray = rng.integers(0, 256, (12, 10)).astype("uint8")
    rgba = rng.integers(0, 256, (12, 10, 4)).astype("uint8")
    blobs = [encode(image, "PNG") for image in (rgb, gray, rgba)]
    for size in (12, 8):  # the decoded size (no resize), then a resize
        got = decode_image_bytes(tf.constant(blobs), size).numpy()
        want = check_images(np.stack([load_image(b) for b in blobs]), image_size=size)
        assert got.shape == (3, size, size, 3) and got.dtype == np.float32
        np.testing.assert_allclose(got, want, atol=1e-6)
    np.testing.assert_array_equal(got[1, ..., 0], got[1, ..., 2])  # gray -> RGB


@pytest.mark.parametrize("subsampling", [0, 2])  # 4:4:4 and 4:2:0 chroma
def test_jpeg_bytes_decode_to_pillows_pixels(rng, subsampling):
    image = rng.integers(0, 256, (16, 16, 3)).astype("uint8")
    blob = encode(image, "JPEG", quality=90, subsampling=subsampling)
    got = decode_image_bytes(tf.constant([blob]), 16).numpy()[0]
    # Lossy, so not `image`; but the very pixels Pillow decodes (TF's default
    # fast IDCT is off by up to 14 levels here).
    assert np.abs(load_image(blob) / 255.0 - image / 255.0).max() > 0.01
    np.testing.assert_allclose(got, load_image(blob) / 255.0, atol=1e-6)


def test_bad_bytes_fail_at_decode():
    with pytest.raises(tf.errors.InvalidArgumentError):
        decode_image_bytes(tf.constant([b"not an image"]), 8)


def test_text_assets_describe_the_question_preprocessor(tmp_path):
    pre = VQAPreprocessor.from_questions(["is it red?", "what shape"], image_size=8)
    backbone = VQABackbone(pre.vocabulary_size, image_size=8, fusion_dim=4)
    model = VQAModel(backbone, ["yes", "no"], preprocessor=pre, hidden_dim=4)
    path = model.export_text_assets(tmp_path / "nested" / "vqa.json")
    with open(path, encoding="utf-8") as f:
        assets = json.load(f)
    text = pre.text_preprocessor
    assert assets["vocabulary"] == text.vocabulary.tokens
    assert assets["sequence_length"] == text.sequence_length == 3
    assert (assets["pad_id"], assets["oov_id"]) == (0, 1)
    assert assets["answers"] == ["yes", "no"] and assets["image_size"] == 8
    assert assets["add_go"] is False and assets["add_eos"] is False
    assert assets["tokenizer"] == {
        "mode": text.tokenizer.mode,
        "lowercase": True,
        "strip_punctuation": True,
    }


def test_feature_backbone_takes_image_features_and_refuses_bytes(rng):
    pre = VQAPreprocessor.from_questions(["is it red?"], image_size=8)
    backbone = VQABackbone(pre.vocabulary_size, image_feature_dim=6, fusion_dim=4)
    model = VQAModel(backbone, ["yes", "no"], preprocessor=pre, hidden_dim=4)
    signature = model.tflite_signatures()["serving_default"]
    specs = {spec.name: spec.shape.as_list() for spec in signature.input_signature}
    assert specs == {"image_features": [None, 6], "token_ids": [None, None]}
    features = rng.normal(size=(1, 6)).astype("float32")
    token_ids = np.array([[4, 5, 0]], "int32")
    got = signature(tf.constant(features), tf.constant(token_ids))["probabilities"]
    logits = model(
        {
            "image_features": features,
            "token_ids": token_ids,
            "padding_mask": token_ids != 0,
        }
    )
    np.testing.assert_allclose(got, tf.nn.softmax(logits), atol=1e-6)
    with pytest.raises(ValueError, match="image_feature_dim=6"):
        model.serving_signatures()
