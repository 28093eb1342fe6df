import json
import os
import warnings

import numpy as np
import pytest
import tensorflow as tf

from keras_rnn_kit.diagnostics import plot_attention
from keras_rnn_kit.models.translation import Translator
from keras_rnn_kit.samplers import BeamSampler
from keras_rnn_kit.samplers import GreedySampler
from tests.models.translation.translation_fixtures import SOURCES
from tests.models.translation.translation_fixtures import TARGETS
from tests.models.translation.translation_fixtures import build_translator
from tests.test_case import run_python


@pytest.mark.slow
def test_overfits_twenty_pairs_to_the_exact_output(trained):
    assert trained.translate(SOURCES) == TARGETS
    assert trained.translate(SOURCES, beam_width=3) == TARGETS
    assert trained.translate(SOURCES[4]) == TARGETS[4]


@pytest.mark.slow
def test_beam_width_one_equals_greedy_on_the_model(trained):
    x = trained.preprocessor(SOURCES + ["九千", "三十三"])

    @tf.function
    def decode(token_ids, padding_mask):
        state = trained.encode(token_ids, padding_mask)
        greedy = GreedySampler(max_length=6)(trained.step, state)
        beam = BeamSampler(beam_width=1, max_length=6)(trained.step, state)
        return greedy["token_ids"], beam["token_ids"][:, 0]

    greedy, beam = decode(x["token_ids"], x["padding_mask"])
    np.testing.assert_array_equal(greedy, beam)


@pytest.mark.slow
def test_attention_weights_and_plot(trained, tmp_path):
    texts, attention = trained.translate(
        SOURCES[:3], beam_width=3, return_attention=True
    )
    for text, source, item in zip(texts, SOURCES[:3], attention, strict=True):
        assert item["source_tokens"] == list(source)
        assert " ".join(item["target_tokens"]) == text
        weights = item["weights"]
        assert weights.shape == (len(item["target_tokens"]), len(source))
        np.testing.assert_allclose(weights.sum(-1), 1.0, atol=1e-5)
    path = plot_attention(**attention[2], path=str(tmp_path / "attention.png"))
    assert os.path.getsize(path) > 0


@pytest.mark.slow
def test_save_load_in_fresh_process_translates_identically(trained, tmp_path):
    path = str(tmp_path / "translator.keras")
    trained.save(path)
    sentences = SOURCES + ["七千零七", "二十"]
    want = trained.translate(sentences, beam_width=3)
    output = run_python(
        f"""
        import json, keras
        import keras_rnn_kit.models  # registers the translation classes
        translator = keras.saving.load_model({path!r})
        print(json.dumps(translator.translate({sentences!r}, beam_width=3)))
        """
    )
    assert json.loads(output.strip().splitlines()[-1]) == want


@pytest.mark.parametrize(
    "backbone_kwargs",
    [
        {},
        {"decoder_cell": "vanilla", "attention": "luong_general"},
        {
            "decoder_cell": "original_lstm",
            "encoder_type": "stacked",
            "num_encoder_layers": 2,
            "attention": "luong_dot",
        },
        {"decoder_cell": "additive", "encoder_cell": "vanilla"},
    ],
)
def test_encode_and_step_reproduce_teacher_forced_logits(backbone_kwargs):
    translator = build_translator(**backbone_kwargs)
    x, _, _ = translator.preprocessor(SOURCES[:5], TARGETS[:5])
    want = tf.nn.log_softmax(translator(x), axis=-1).numpy()
    state = translator.encode(x["token_ids"], x["padding_mask"])
    for t in range(x["decoder_token_ids"].shape[1]):
        log_probs, state = translator.step(x["decoder_token_ids"][:, t], state)
        np.testing.assert_allclose(log_probs, want[:, t], atol=1e-5)


def test_generate_is_invariant_to_extra_source_padding():
    translator = build_translator()
    x = translator.preprocessor(SOURCES[:6])
    padded_ids = np.pad(x["token_ids"], ((0, 0), (0, 3)))
    padded_mask = np.pad(x["padding_mask"], ((0, 0), (0, 3)))
    for width in (1, 3):
        np.testing.assert_array_equal(
            translator.generate(x["token_ids"], x["padding_mask"], beam_width=width),
            translator.generate(padded_ids, padded_mask, beam_width=width),
        )


def test_bad_arguments_name_the_argument():
    translator = build_translator()
    with pytest.raises(ValueError, match="`beam_width`"):
        translator.translate(SOURCES[:1], beam_width=0)
    with pytest.raises(ValueError, match="`max_length`"):
        translator.translate(SOURCES[:1], max_length=0)
    with pytest.raises(TypeError, match="`sentences`"):
        translator.translate([3])
    with pytest.raises(TypeError, match="`backbone`"):
        Translator("backbone")
    with pytest.raises(TypeError, match="`preprocessor`"):
        Translator(translator.backbone, preprocessor="vocab.txt")
    bare = Translator(translator.backbone)
    with pytest.raises(ValueError, match="preprocessor"):
        bare.translate(SOURCES[:1])


def test_config_round_trip():
    translator = build_translator(attention="luong_general")
    clone = Translator.from_config(translator.get_config())
    assert clone.get_config() == translator.get_config()
    assert (
        clone.preprocessor.target_vocabulary
        == translator.preprocessor.target_vocabulary
    )


def test_fit_on_a_dataset_warns_about_nothing():
    # Keras warns that `shuffle=True` is ignored for a dataset on every fit;
    # tasks take a dataset as shuffled already (`make_dataset` shuffles).
    translator = build_translator()
    translator.compile()
    dataset = translator.preprocessor.make_dataset(SOURCES[:4], TARGETS[:4])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        history = translator.fit(dataset, epochs=1, verbose=0)
    assert len(history.history["loss"]) == 1


@pytest.mark.slow
def test_a_train_step_compiled_by_xla_equals_the_graph_step():
    """`compile(jit_compile=True)` (what Keras's `"auto"` picks on a GPU when
    every layer supports XLA) trains: the attention decoder's time loop is
    bounded, so XLA differentiates it. Same weights after one step, to 1e-5."""
    dataset = build_translator().preprocessor.make_dataset(SOURCES, TARGETS, 20)
    weights = {}
    for jit_compile in (False, True):
        translator = build_translator()
        translator.compile(jit_compile=jit_compile)
        assert translator.jit_compile is jit_compile
        translator.fit(dataset.take(1), epochs=1, verbose=0)
        weights[jit_compile] = translator.get_weights()
    for xla, graph in zip(weights[True], weights[False], strict=True):
        np.testing.assert_allclose(xla, graph, atol=1e-5)
