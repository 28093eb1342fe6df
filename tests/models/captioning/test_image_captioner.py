"""Tests for keras_rnn_kit/models/captioning/image_captioner.py and training."""

import json

import keras
import numpy as np
import pytest
from PIL import Image

from keras_rnn_kit.data.scene_generator import SceneGenerator
from keras_rnn_kit.models.captioning import CaptioningBackbone
from keras_rnn_kit.models.captioning import ImageCaptioner
from keras_rnn_kit.models.captioning.captioning_training import build_captioner
from keras_rnn_kit.models.captioning.captioning_training import caption_dataset
from keras_rnn_kit.models.captioning.captioning_training import save_attention_maps
from keras_rnn_kit.models.image_encoder import ImageEncoder
from tests.models.captioning.captioning_fixtures import tiny_captioner
from tests.test_case import run_python

CAPTIONS = ["a red circle", "a blue square", "a red circle above a blue square"]


@pytest.fixture(scope="module")
def captioner():
    keras.utils.set_random_seed(5)
    return tiny_captioner(CAPTIONS, 8, units=8)


def _sequence_log_prob(captioner, images, ids):
    """log P(ids | image) by teacher forcing (up to and including <eos>)."""
    vocabulary = captioner.preprocessor.vocabulary
    go = np.full((len(ids), 1), vocabulary.go_id, "int32")
    inputs = {
        "images": images,
        "decoder_token_ids": np.concatenate([go, ids[:, :-1]], 1),
        "decoder_padding_mask": np.ones(ids.shape, bool),
    }
    log_probs = np.asarray(keras.ops.log_softmax(captioner(inputs), axis=-1))
    totals = []
    for row, row_ids in enumerate(ids):
        total = 0.0
        for t, token in enumerate(row_ids):
            total += log_probs[row, t, token]
            if token == vocabulary.eos_id:
                break
        totals.append(total)
    return np.array(totals)


def test_greedy_generation_is_the_argmax_of_teacher_forcing(captioner, rng):
    images = rng.uniform(size=(2, 8, 8, 3)).astype("float32")
    ids = np.asarray(captioner.generate(images, max_length=6))
    vocabulary = captioner.preprocessor.vocabulary
    prefix = np.full((2, 1), vocabulary.go_id, "int32")
    expected = []
    for _ in range(6):
        logits = captioner(
            {
                "images": images,
                "decoder_token_ids": prefix,
                "decoder_padding_mask": np.ones(prefix.shape, bool),
            }
        )
        best = np.asarray(logits)[:, -1].argmax(-1).astype("int32")
        expected.append(best)
        prefix = np.concatenate([prefix, best[:, None]], axis=1)
    expected = np.stack(expected, axis=1)
    for row in range(2):
        words = vocabulary.decode(ids[row])
        assert words == vocabulary.decode(expected[row])


def test_beam_search_finds_at_least_the_greedy_probability(captioner, rng):
    images = rng.uniform(size=(3, 8, 8, 3)).astype("float32")
    greedy = np.asarray(captioner.generate(images, beam_width=1, max_length=6))
    beam = np.asarray(captioner.generate(images, beam_width=4, max_length=6))
    greedy_lp = _sequence_log_prob(captioner, images, greedy)
    beam_lp = _sequence_log_prob(captioner, images, beam)
    assert np.all(beam_lp >= greedy_lp - 1e-4)


def test_caption_returns_detokenized_strings(captioner, rng):
    images = rng.integers(0, 256, size=(2, 16, 16, 3), dtype=np.uint8)  # resized
    captions = captioner.caption(images, beam_width=2, max_length=5)
    ids = np.asarray(
        captioner.generate(
            captioner.preprocessor.preprocess_images(images), beam_width=2, max_length=5
        )
    )
    vocabulary = captioner.preprocessor.vocabulary
    assert captions == [" ".join(vocabulary.decode(row)) for row in ids]


def test_attention_maps_and_png(captioner, rng, tmp_path):
    image = rng.integers(0, 256, size=(8, 8, 3), dtype=np.uint8)
    [(words, maps)] = captioner.attention_maps(image[None], max_length=4)
    assert maps.shape == (len(words), 4, 4)
    np.testing.assert_allclose(maps.sum(axis=(1, 2)), 1.0, atol=1e-5)
    path = save_attention_maps(captioner, image, str(tmp_path / "attention.png"))
    with Image.open(path) as png:
        assert png.format == "PNG"
    with pytest.raises(ValueError, match="`image`"):
        save_attention_maps(captioner, image[None], str(tmp_path / "x.png"))


def test_errors_name_what_is_missing(captioner):
    show_and_tell = ImageCaptioner(
        CaptioningBackbone(
            10,
            units=4,
            image_size=8,
            image_encoder=ImageEncoder(filters=(2,), image_size=8),
        ),
        captioner.preprocessor,
    )
    with pytest.raises(ValueError, match="attention="):
        show_and_tell.attention_maps(np.zeros((1, 8, 8, 3), "uint8"))
    with pytest.raises(ValueError, match="preprocessor"):
        ImageCaptioner(captioner.backbone).caption(np.zeros((1, 8, 8, 3), "uint8"))
    with pytest.raises(ValueError, match="`beam_width`"):
        captioner.generate(np.zeros((1, 8, 8, 3), "float32"), beam_width=0)
    with pytest.raises(TypeError, match="`backbone`"):
        ImageCaptioner("backbone")


@pytest.mark.slow
def test_reloads_in_a_fresh_process(captioner, rng, tmp_path):
    path = str(tmp_path / "captioner.keras")
    images_path = str(tmp_path / "images.npy")
    images = rng.integers(0, 256, (3, 8, 8, 3), dtype=np.uint8)
    np.save(images_path, images)
    captioner.save(path)
    want = captioner.caption(images, beam_width=2, max_length=6)
    output = run_python(
        f"""
        import json, keras, numpy as np
        import keras_rnn_kit.models  # registers the captioning classes
        captioner = keras.saving.load_model({path!r})
        images = np.load({images_path!r})
        print(json.dumps(captioner.caption(images, beam_width=2, max_length=6)))
        """
    )
    assert json.loads(output.strip().splitlines()[-1]) == want


@pytest.mark.slow
def test_training_learns_single_object_captions():
    generator = SceneGenerator(image_size=32, min_objects=1, max_objects=1, seed=1)
    scenes = generator.generate(300)
    captions = [s.caption for s in scenes]
    captioner = build_captioner(captions, image_size=32, units=32, filters=(8, 16))
    captioner.compile(optimizer=keras.optimizers.Adam(3e-3))
    images = np.stack([s.image for s in scenes])
    captioner.fit(
        caption_dataset(captioner.preprocessor, images, captions, 32, True),
        epochs=10,
        verbose=0,
    )
    predicted = captioner.caption(images[:100])
    # 15 colour-shape pairs: chance exact match is ~7%.
    assert (
        np.mean([p == c for p, c in zip(predicted, captions[:100], strict=True)]) > 0.6
    )
