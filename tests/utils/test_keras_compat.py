"""Every private Keras name the kit uses still exists and works on the installed
Keras, and an untested Keras is refused loudly."""

import os
import tomllib

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_rnn_kit.training.multi_worker import FirstReplicaBuild
from keras_rnn_kit.utils import keras_compat
from tests.test_case import REPO_ROOT


def test_installed_keras_is_in_the_tested_range():
    keras_compat.check_keras_version()


def test_pyproject_pins_the_tested_keras_range():
    with open(os.path.join(REPO_ROOT, "pyproject.toml"), "rb") as f:
        dependencies = tomllib.load(f)["project"]["dependencies"]
    assert "keras" + ",".join(keras_compat.TESTED_KERAS) in dependencies


@pytest.mark.parametrize("version", ["3.16.0", "3.14.2", "4.0.0.dev2026"])
def test_untested_keras_is_refused_naming_both_versions(version, monkeypatch):
    monkeypatch.setattr(keras, "__version__", version)
    with pytest.raises(ImportError) as error:
        keras_compat.check_keras_version()
    message = str(error.value)
    assert f"keras {version} is installed" in message
    assert "keras" + ",".join(keras_compat.TESTED_KERAS) in message


def test_dropout_mixin_has_what_keras_rnn_calls():
    mixin = keras_compat.DropoutRNNCell
    assert mixin in keras.layers.LSTMCell.__mro__
    for method in (
        "get_dropout_mask",
        "get_recurrent_dropout_mask",
        "reset_dropout_mask",
        "reset_recurrent_dropout_mask",
    ):
        assert callable(getattr(mixin, method)), method


def test_keras_mask_reads_symbolic_and_eager_masks():
    symbolic = keras.layers.Masking()(keras.Input((4, 2)))
    assert tuple(keras_compat.keras_mask(symbolic).shape) == (None, 4)
    eager = keras.layers.Embedding(5, 2, mask_zero=True)(np.array([[1, 0, 3]]))
    np.testing.assert_array_equal(keras_compat.keras_mask(eager), [[True, False, True]])
    assert keras_compat.keras_mask(keras.ops.ones((1, 3))) is None


def _dense_model():
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    return model


def test_set_initial_epoch_moves_the_start_of_a_running_fit():
    class StartAtTwo(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            keras_compat.set_initial_epoch(self.model, 2)

    history = _dense_model().fit(
        np.ones((4, 3)), np.ones((4, 1)), epochs=3, verbose=0, callbacks=[StartAtTwo()]
    )
    assert history.epoch == [2]


class TinyModel(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.dense = keras.layers.Dense(1)

    def call(self, inputs):
        return self.dense(inputs)


def test_symbolic_build_builds_layers_and_optimizer():
    model = TinyModel()
    model.compile("sgd", "mse")
    keras_compat.symbolic_build(model, (np.ones((4, 3)), np.ones((4, 1))))
    assert model.dense.built and model.optimizer.built


def test_fit_calls_the_symbolic_build_hook():
    calls = []

    class Hooked(TinyModel):
        pass

    def hook(self, iterator=None, data_batch=None):
        calls.append(data_batch is not None or iterator is not None)

    assert hasattr(keras.Model, keras_compat.SYMBOLIC_BUILD_HOOK)
    assert keras_compat.SYMBOLIC_BUILD_HOOK in vars(FirstReplicaBuild)
    setattr(Hooked, keras_compat.SYMBOLIC_BUILD_HOOK, hook)
    model = Hooked()
    model.compile("sgd", "mse")
    model.fit(np.ones((4, 3)), np.ones((4, 1)), verbose=0)
    model.evaluate(np.ones((4, 3)), np.ones((4, 1)), verbose=0)
    assert calls == [True, True]


def test_in_save_context_is_true_only_while_tf_saved_model_save_traces(tmp_path):
    seen = []

    class Probe(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([], tf.float32)])
        def serve(self, x):
            seen.append(keras_compat.in_save_context())
            return x

    assert keras_compat.in_save_context() is False
    tf.saved_model.save(Probe(), str(tmp_path / "probe"))
    assert seen == [True]


def test_forward_mode_watches_sees_an_active_accumulator():
    x = tf.constant([1.0, 2.0])
    y = tf.constant([3.0])
    assert keras_compat.forward_mode_watches([x, y]) is False
    with tf.autodiff.ForwardAccumulator(x, tf.ones_like(x)):
        doubled = 2.0 * x
        assert keras_compat.forward_mode_watches([y, doubled]) is True
        assert keras_compat.forward_mode_watches([y]) is False


def test_in_xla_context_is_true_only_while_tracing_a_jit_compiled_function():
    seen = {}

    @tf.function
    def plain():
        seen["plain"] = keras_compat.in_xla_context()
        return nested()

    @tf.function(jit_compile=True)
    def nested():
        seen["nested"] = keras_compat.in_xla_context()
        return tf.constant(0.0)

    plain()
    assert seen == {"plain": False, "nested": True}
    assert keras_compat.in_xla_context() is False
