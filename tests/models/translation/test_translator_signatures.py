import numpy as np
import pytest
import tensorflow as tf

from keras_rnn_kit.data.text_rules import TextEncoder
from keras_rnn_kit.export import TFLiteRunner
from keras_rnn_kit.export import export_saved_model
from keras_rnn_kit.export import export_tflite
from keras_rnn_kit.models.translation import Translator
from keras_rnn_kit.models.translation.translator_signatures import flatten_state
from keras_rnn_kit.models.translation.translator_signatures import unflatten_state
from tests.models.translation.translation_fixtures import SOURCES
from tests.models.translation.translation_fixtures import TARGETS
from tests.models.translation.translation_fixtures import build_translator


@pytest.mark.slow
def test_saved_model_serves_the_same_translations(trained, tmp_path):
    folder = export_saved_model(trained, str(tmp_path / "translator"))
    served = tf.saved_model.load(folder).signatures
    for name, width in (("serving_default", 1), ("beam_search", 4)):
        out = served[name](text=tf.constant(SOURCES[:6]))
        texts = [t.decode() for t in out["translation"].numpy()]
        assert texts == trained.translate(SOURCES[:6], beam_width=width)
    assert texts == TARGETS[:6]


@pytest.mark.slow
def test_tflite_encode_and_step_decode_like_generate(trained, tmp_path):
    runner = TFLiteRunner(export_tflite(trained, str(tmp_path / "translator.tflite")))
    x = trained.preprocessor(SOURCES[:4])
    for row in range(4):
        length = int(np.sum(x["padding_mask"][row]))
        inputs = {key: np.asarray(x[key][row : row + 1, :length]) for key in x}
        got = runner.greedy_decode(inputs, go_id=2, eos_id=3, max_length=7)
        want = [int(i) for i in trained.generate(**inputs)[0]]
        assert got == want[: want.index(3)]  # the runner drops the final <eos>
        target = TextEncoder(trained.text_assets()["target"])
        assert target.decode(got) == TARGETS[row]


def test_flat_state_round_trip():
    translator = build_translator()
    x = translator.preprocessor(SOURCES[:2])
    state = translator.encode(x["token_ids"], x["padding_mask"])
    flat = flatten_state(state)
    assert sorted(flat) == [
        "cell_state_0",
        "cell_state_1",
        "feed",
        "keys",
        "memory",
        "memory_mask",
        "source_ids",
    ]
    again = unflatten_state(flat)
    assert again["cell_states"][1] is state["cell_states"][1]
    assert again["memory"] is state["memory"]


def test_serving_needs_a_preprocessor():
    bare = Translator(build_translator().backbone)
    with pytest.raises(ValueError, match="preprocessor"):
        bare.serving_signatures()
