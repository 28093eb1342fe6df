"""export_saved_model: versions, signatures, assets, configs, fresh-process parity."""

import os
import subprocess
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_rnn_kit.cells import VanillaRNNCell
from keras_rnn_kit.export import export_saved_model
from keras_rnn_kit.export.saved_model import BATCHING_CONFIG
from keras_rnn_kit.export.saved_model import MODELS_CONFIG
from tests.export.conftest import TEXTS
from tests.test_case import run_python


def _tagger():
    """A per-step tagger: `(batch, time, 3)` -> `(batch, time, 2)` scores."""
    x = keras.Input((None, 3), name="features")
    h = keras.layers.RNN(VanillaRNNCell(4), return_sequences=True)(x)
    return keras.Model(x, keras.layers.Dense(2, name="tags")(h))


def test_versions_count_up_and_configs_name_the_model(classifier_export):
    assert sorted(os.listdir(classifier_export)) == [
        "1",
        "2",
        BATCHING_CONFIG,
        MODELS_CONFIG,
    ]
    with open(os.path.join(classifier_export, MODELS_CONFIG)) as f:
        config = f.read()
    assert 'name: "classifier"' in config
    assert 'base_path: "/models/classifier"' in config
    # TF Serving loads only the newest of the two versions.
    assert "model_version_policy { latest { num_versions: 1 } }" in config
    with open(os.path.join(classifier_export, BATCHING_CONFIG)) as f:
        assert "pad_variable_length_inputs: true" in f.read()


def test_serving_default_takes_raw_strings_and_names_outputs(
    text_classifier, classifier_export
):
    signature = tf.saved_model.load(os.path.join(classifier_export, "2")).signatures[
        "serving_default"
    ]
    spec = signature.structured_input_signature[1]["text"]
    assert spec.dtype == tf.string and spec.shape.as_list() == [None]
    outputs = signature(text=tf.constant(TEXTS))
    assert list(outputs) == ["probs"]
    np.testing.assert_allclose(
        outputs["probs"].numpy(), text_classifier(TEXTS).numpy(), atol=1e-5
    )


def test_vocabulary_is_an_asset(text_classifier, classifier_export):
    path = os.path.join(classifier_export, "1", "assets", "vectorizer.vocab.txt")
    with open(path, encoding="utf-8") as f:
        tokens = f.read().split("\n")[:-1]
    vectorizer = text_classifier.get_layer("vectorizer")
    assert tokens == [str(t) for t in vectorizer.get_vocabulary()]


@pytest.mark.slow
def test_fresh_process_without_keras_matches_keras(
    text_classifier, classifier_export, tmp_path
):
    expected = text_classifier(TEXTS).numpy()
    out = tmp_path / "probs.npy"
    run_python(
        f"""
        import sys
        # `import tensorflow` would import keras only to locate `tf.keras`; a
        # None entry makes those packages unimportable, proving no need of them.
        BANNED = ("keras", "keras_rnn_kit", "tensorflow_text")
        sys.modules.update(dict.fromkeys(BANNED))
        import numpy as np
        import tensorflow as tf
        loaded = tf.saved_model.load({os.path.join(classifier_export, "2")!r})
        texts = tf.constant({TEXTS.tolist()!r})
        probs = loaded.signatures["serving_default"](text=texts)["probs"]
        np.save({str(out)!r}, probs.numpy())
        loaded_banned = [m for m, module in sys.modules.items()
                         if m.split(".")[0] in BANNED and module is not None]
        assert not loaded_banned, loaded_banned
        """
    )
    np.testing.assert_allclose(np.load(out), expected, atol=1e-5)


@pytest.mark.slow
def test_saved_model_cli_shows_the_signature(classifier_export):
    # The console script installed next to this interpreter (the project's venv).
    cli = os.path.join(os.path.dirname(sys.executable), "saved_model_cli")
    result = subprocess.run(
        [cli, "show", "--dir", os.path.join(classifier_export, "1"), "--all"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "signature_def['serving_default']" in result.stdout
    assert "inputs['text'] tensor_info:" in result.stdout
    assert "dtype: DT_STRING" in result.stdout
    assert "outputs['probs'] tensor_info:" in result.stdout


def test_protocol_signature_serves_raw_tokens(tmp_path):
    class TokenTagger(keras.Model):
        """Tags token ids; serves raw tokens through its StringLookup."""

        def __init__(self, **kwargs):
            token_ids = keras.Input((None,), dtype="int64", name="token_ids")
            h = keras.layers.Embedding(6, 3)(token_ids)
            h = keras.layers.RNN(VanillaRNNCell(4), return_sequences=True)(h)
            super().__init__(token_ids, keras.layers.Dense(2)(h), **kwargs)
            self.lookup = keras.layers.StringLookup(
                vocabulary=["a", "b", "c"], name="token_lookup"
            )

        def serving_signatures(self):
            @tf.function(
                input_signature=[tf.TensorSpec((None, None), tf.string, name="tokens")]
            )
            def serving_default(tokens):
                return {"scores": self(self.lookup(tokens))}

            return {"serving_default": serving_default}

    model = TokenTagger()
    tokens = np.array([["a", "c", "zzz"], ["b", "b", "a"]])
    path = export_saved_model(model, tmp_path / "tagger")
    outputs = tf.saved_model.load(path).signatures["serving_default"](
        tokens=tf.constant(tokens)
    )
    expected = model(model.lookup(tokens)).numpy()
    np.testing.assert_allclose(outputs["scores"].numpy(), expected, atol=1e-5)
    assert os.listdir(os.path.join(path, "assets")) == ["token_lookup.vocab.txt"]


def test_existing_version_is_refused_unless_overwrite(tmp_path):
    model = _tagger()
    base = tmp_path / "tagger"
    export_saved_model(model, base, version=3)
    with pytest.raises(FileExistsError, match="version 3"):
        export_saved_model(model, base, version=3)
    marker = base / "3" / "stale.txt"
    marker.write_text("old")
    export_saved_model(model, base, version=3, overwrite=True)
    assert not marker.exists()
    assert export_saved_model(model, base).endswith(os.sep + "4")


def test_bad_arguments_are_named(tmp_path):
    class Unbuilt(keras.Model):
        def call(self, x):
            return x

    with pytest.raises(ValueError, match="must be built"):
        export_saved_model(Unbuilt(), tmp_path / "a")
    with pytest.raises(ValueError, match="`version` must be a positive integer"):
        export_saved_model(_tagger(), tmp_path / "b", version=0)
    spec = [tf.TensorSpec((None, None, 3), tf.float32, name="features")]
    model = _tagger()
    with pytest.raises(ValueError, match="must contain 'serving_default'"):
        export_saved_model(
            model,
            tmp_path / "c",
            signatures={"predict": tf.function(model, input_signature=spec)},
        )
    with pytest.raises(ValueError, match="must be a tf.function with an"):
        export_saved_model(
            model, tmp_path / "d", signatures={"serving_default": lambda x: x}
        )
    assert not (tmp_path / "c").exists() and not (tmp_path / "d").exists()


def test_kit_rnn_exports_its_step_loop_not_an_xla_program(tmp_path):
    """Stock TF Serving refuses `_XlaMustCompile` functions: the kit RNN's compiled
    CPU kernel must not reach the SavedModel, and the outputs must not change."""
    from tensorflow.core.protobuf import saved_model_pb2

    from keras_rnn_kit.cells import LSTMCell
    from keras_rnn_kit.layers import RNN

    x = keras.Input((None, 3), name="features")
    layer = RNN(LSTMCell(4), return_sequences=True)
    model = keras.Model(x, layer(x))
    features = np.random.default_rng(0).normal(size=(2, 5, 3)).astype("float32")
    assert layer.selected_kernel(tf.constant(features)) == "compiled"
    expected = model(features).numpy()
    path = export_saved_model(model, tmp_path / "lstm")
    assert layer.implementation == "auto"  # restored after the export
    graph = saved_model_pb2.SavedModel()
    with open(os.path.join(path, "saved_model.pb"), "rb") as f:
        graph.ParseFromString(f.read())
    functions = graph.meta_graphs[0].graph_def.library.function
    assert functions and not [
        f.signature.name for f in functions if f.attr["_XlaMustCompile"].b
    ]
    outputs = tf.saved_model.load(path).signatures["serving_default"](
        features=tf.constant(features)
    )
    (scores,) = outputs.values()
    np.testing.assert_allclose(scores.numpy(), expected, atol=1e-5)
