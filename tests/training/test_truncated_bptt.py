"""Tests for keras_rnn_kit.training.truncated_bptt (full and truncated BPTT)."""

import os

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_rnn_kit.cells import OriginalLSTMCell
from keras_rnn_kit.cells import VanillaRNNCell
from keras_rnn_kit.training import TruncatedBPTT
from keras_rnn_kit.training import stream_windows
from tests.test_case import assert_config_round_trip
from tests.test_case import run_python


def make_model(cell=None, window_size=3, optimizer=None, **kwargs):
    rnn = keras.layers.RNN(
        cell or VanillaRNNCell(5), return_sequences=True, return_state=True
    )
    model = TruncatedBPTT(rnn, keras.layers.Dense(2), window_size, **kwargs)
    model.compile(optimizer=optimizer or keras.optimizers.SGD(0.0), loss="mse")
    return model


def sequences(rng, batch=3, time=10, features=4):
    x = rng.standard_normal((batch, time, features)).astype("float32")
    y = rng.standard_normal((batch, time, 2)).astype("float32")
    return x, y


def weight_values(model):
    return [np.array(w) for w in model.trainable_weights]


def test_global_clipnorm_bounds_full_bptt_update(rng):
    # Full BPTT is plain fit on a keras.layers.RNN; global_clipnorm=c rescales the
    # whole gradient to norm <= c, so one SGD step moves the weights by <= c * lr.
    clipnorm, lr = 0.5, 0.1
    model = keras.Sequential(
        [
            keras.Input((6, 4)),
            keras.layers.RNN(VanillaRNNCell(8)),
            keras.layers.Dense(1),
        ]
    )
    model.compile(keras.optimizers.SGD(lr, global_clipnorm=clipnorm), loss="mse")
    x = rng.standard_normal((4, 6, 4)).astype("float32")
    y = np.full((4, 1), 50.0, "float32")
    with tf.GradientTape() as tape:
        loss = keras.losses.MeanSquaredError()(y, model(x))
    grads = tape.gradient(loss, model.trainable_weights)
    raw_norm = float(tf.linalg.global_norm(grads))
    assert raw_norm > 10 * clipnorm  # so clipping really happens
    before = weight_values(model)
    model.train_on_batch(x, y)
    after = weight_values(model)
    squares = [np.sum((a - b) ** 2) for a, b in zip(after, before, strict=True)]
    step = np.sqrt(sum(squares))
    assert step <= clipnorm * lr * (1 + 1e-5)
    np.testing.assert_allclose(step, clipnorm * lr, rtol=1e-4)


@pytest.mark.parametrize("window_size", [3, 4, 10])
def test_carried_state_equals_full_sequence_state(rng, window_size):
    # With lr = 0 the weights never change, so the state carried window by window
    # (forward pass unchanged, only gradients are cut) must equal the state of one
    # pass over all T = 10 steps. atol 1e-5: float32 round-off over 10 steps.
    x, y = sequences(rng)
    model = make_model(
        OriginalLSTMCell(5),
        window_size,
        stateful_across_batches=True,
        batch_size=3,
    )
    model.train_on_batch(x, y)
    _, h_full, c_full = model.recurrent(x)
    np.testing.assert_allclose(model.carried_state[0], h_full, atol=1e-5)
    np.testing.assert_allclose(model.carried_state[1], c_full, atol=1e-5)
    assert np.abs(np.array(c_full)).max() > 0.1  # a non-trivial state
    model.reset_state()
    assert all(not np.any(np.array(v)) for v in model.carried_state)


def test_window_loss_gradient_stops_at_window_start(rng):
    x, _ = sequences(rng, batch=2, time=9)
    model = make_model(window_size=3)
    x = tf.constant(x)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        states = model.recurrent.cell.get_initial_state(2)
        for start in (0, 3, 6):
            y_pred, states = model.call_window(x[:, start : start + 3], states)
        window_loss = tf.reduce_sum(y_pred)  # the last window's loss
        full_loss = tf.reduce_sum(model(x)[:, 6:])  # same steps, no truncation
    truncated = np.array(tape.gradient(window_loss, x))
    per_step = np.abs(truncated).sum(axis=(0, 2))
    assert np.all(per_step[:6] == 0.0)  # exactly zero before the window
    assert np.all(per_step[6:] > 0.0)
    untruncated = np.abs(np.array(tape.gradient(full_loss, x))).sum(axis=(0, 2))
    assert np.all(untruncated[:6] > 0.0)  # what the stop_gradient removes


@pytest.mark.parametrize("update", ["window", "accumulate"])
def test_train_step_matches_manual_truncated_updates(rng, update):
    # T = 7, window 3: windows of 3, 3 and 1 steps. Reference: per-window gradients
    # of the window's MSE from the carried (stopped) state, applied by plain SGD
    # after each window ("window") or summed with weights len/T ("accumulate").
    lr, time = 0.05, 7
    x, y = sequences(rng, time=time)
    model = make_model(optimizer=keras.optimizers.SGD(lr), update=update)
    model(x)
    start_weights = weight_values(model)
    logs = model.train_on_batch(x, y, return_dict=True)
    trained = weight_values(model)

    for variable, value in zip(model.trainable_weights, start_weights, strict=True):
        variable.assign(value)
    variables = model.trainable_weights
    states = model.recurrent.cell.get_initial_state(3)
    total = [np.zeros_like(w) for w in start_weights]
    expected_loss = 0.0
    for start in range(0, time, 3):
        stop = min(start + 3, time)
        with tf.GradientTape() as tape:
            y_pred, states = model.call_window(x[:, start:stop], states)
            loss = tf.reduce_mean((y_pred - y[:, start:stop]) ** 2)
        grads = tape.gradient(loss, variables)
        share = (stop - start) / time
        expected_loss += float(loss) * share
        if update == "window":
            for variable, grad in zip(variables, grads, strict=True):
                variable.assign_sub(lr * grad)
        else:
            total = [t + share * np.array(g) for t, g in zip(total, grads, strict=True)]
    if update == "accumulate":
        for variable, grad in zip(variables, total, strict=True):
            variable.assign_sub(lr * grad)
    for got, want in zip(trained, weight_values(model), strict=True):
        np.testing.assert_allclose(got, want, atol=1e-6)
    assert not np.allclose(trained[0], start_weights[0])
    np.testing.assert_allclose(logs["loss"], expected_loss, rtol=1e-5)


def test_reported_loss_covers_every_step(rng):
    # T = 10, window 4: the last window has 2 steps. With lr = 0 the length-weighted
    # mean of the window losses must equal the full-sequence loss of evaluate().
    x, y = sequences(rng)
    model = make_model(window_size=4)
    train_loss = model.train_on_batch(x, y)
    full_loss = keras.losses.MeanSquaredError()(y, model(x))
    np.testing.assert_allclose(train_loss, full_loss, rtol=1e-5)


def test_fit_loops_over_windows_in_graph(rng):
    # A dataset with unknown T is traced once: the window loop must be a graph loop
    # (a Python loop could not unroll an unknown number of windows), and T = 5, 11,
    # 23 with window 4 make 2 + 3 + 6 optimizer updates (short windows kept).
    lengths = [5, 11, 23]
    dataset = tf.data.Dataset.from_generator(
        lambda: (sequences(rng, time=t) for t in lengths),
        output_signature=(
            tf.TensorSpec((3, None, 4), tf.float32),
            tf.TensorSpec((3, None, 2), tf.float32),
        ),
    ).apply(tf.data.experimental.assert_cardinality(len(lengths)))
    model = make_model(window_size=4, optimizer=keras.optimizers.SGD(0.01))
    model.fit(dataset, epochs=1, verbose=0, shuffle=False)
    assert int(model.optimizer.iterations.numpy()) == 2 + 3 + 6


@pytest.mark.slow
def test_fit_reduces_loss_on_delayed_copy(rng):
    # Task: y_t = x_{t-2} (needs memory across steps and window boundaries).
    x = rng.standard_normal((32, 24, 1)).astype("float32")
    y = np.concatenate([np.zeros_like(x[:, :2]), x[:, :-2]], axis=1)
    rnn = keras.layers.RNN(VanillaRNNCell(16), return_sequences=True, return_state=True)
    model = TruncatedBPTT(rnn, keras.layers.Dense(1), window_size=6)
    model.compile(keras.optimizers.Adam(0.02), loss="mse")
    history = model.fit(x, y, batch_size=32, epochs=25, verbose=0).history["loss"]
    assert history[-1] < 0.3 * history[0]


def test_stream_windows_and_carry_across_batches(rng):
    # A stream of 22 steps in 2 sub-streams of 11, windows of 4: 4 + 4 + 3 steps.
    stream = rng.standard_normal((22, 4)).astype("float32")
    targets = rng.standard_normal((22, 2)).astype("float32")
    dataset = stream_windows(stream, targets, window_size=4, num_streams=2)
    windows = list(dataset)
    assert [w[0].shape[1] for w in windows] == [4, 4, 3]
    rebuilt = np.concatenate([np.array(w[0]) for w in windows], axis=1)
    np.testing.assert_array_equal(rebuilt, stream.reshape(2, 11, 4))
    rebuilt_y = np.concatenate([np.array(w[1]) for w in windows], axis=1)
    np.testing.assert_array_equal(rebuilt_y, targets.reshape(2, 11, 2))

    model = make_model(window_size=4, stateful_across_batches=True, batch_size=2)
    model.fit(dataset, epochs=1, verbose=0, shuffle=False)
    _, h_full = model.recurrent(stream.reshape(2, 11, 4))
    np.testing.assert_allclose(model.carried_state[0], h_full, atol=1e-5)


def test_accumulate_trains_under_a_distribution_strategy(rng):
    x, y = sequences(rng)
    strategy = tf.distribute.MirroredStrategy(["/cpu:0"])
    with strategy.scope():
        model = make_model(update="accumulate", optimizer=keras.optimizers.SGD(0.1))
        model(x)
    before = weight_values(model)
    model.fit(x, y, batch_size=3, epochs=1, verbose=0)
    assert int(model.optimizer.iterations.numpy()) == 1
    assert not np.allclose(before[0], weight_values(model)[0])
    with strategy.scope():
        window_model = make_model(update="window")
    with pytest.raises(ValueError, match="update='accumulate'"):
        window_model.fit(x, y, batch_size=3, epochs=1, verbose=0)


@pytest.mark.slow
def test_two_replicas_report_the_one_device_loss_and_step(tmp_path):
    # Keras divides each replica's loss by the replicas (the gradients are summed
    # across them); the reported loss must be the global mean all the same.
    out = tmp_path / "runs.npz"
    run_python(
        f"""
        import keras
        import numpy as np
        import tensorflow as tf
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
        from tests.training.test_truncated_bptt import make_model, sequences
        x, y = sequences(np.random.default_rng(0), batch=4)
        runs = {{}}
        for name in ("mirrored", "one_device"):
            strategy = (tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
                        if name == "mirrored" else tf.distribute.get_strategy())
            keras.utils.set_random_seed(7)
            with strategy.scope():
                model = make_model(window_size=4, update="accumulate",
                                   optimizer=keras.optimizers.SGD(0.5))
                model(x)
            runs[name + "_initial"] = np.asarray(model.trainable_weights[0])
            runs[name + "_replicas"] = strategy.num_replicas_in_sync
            history = model.fit(x, y, batch_size=4, epochs=1, verbose=0)
            runs[name + "_loss"] = history.history["loss"][0]
            for i, w in enumerate(model.trainable_weights):
                runs[f"{{name}}_w{{i}}"] = np.asarray(w)
        np.savez({str(out)!r}, **runs)
        """,
        timeout=120,
    )
    runs = np.load(out)
    assert runs["mirrored_replicas"] == 2 and runs["one_device_replicas"] == 1
    np.testing.assert_allclose(
        runs["mirrored_loss"], runs["one_device_loss"], rtol=1e-5
    )
    # Same start, a step that moves the weights, the same weights after it.
    np.testing.assert_array_equal(runs["mirrored_initial"], runs["one_device_initial"])
    assert not np.allclose(runs["one_device_initial"], runs["one_device_w0"])
    names = [k.removeprefix("one_device_") for k in runs.files]
    names = [name for name in names if name.startswith("w")]
    assert len(names) == 5  # kernel, recurrent_kernel, bias; Dense kernel, bias
    for name in names:
        np.testing.assert_allclose(
            runs[f"mirrored_{name}"], runs[f"one_device_{name}"], atol=1e-6
        )


def test_config_round_trip_and_reload(rng, tmp_path):
    x, y = sequences(rng)
    model = make_model(
        OriginalLSTMCell(5), window_size=4, stateful_across_batches=True, batch_size=3
    )
    model.train_on_batch(x, y)
    clone = assert_config_round_trip(model)
    assert clone.window_size == 4 and clone.batch_size == 3
    path = os.path.join(tmp_path, "tbptt.keras")
    model.save(path)
    reloaded = keras.saving.load_model(path)
    assert isinstance(reloaded, TruncatedBPTT)
    np.testing.assert_allclose(reloaded(x), model(x))
    np.testing.assert_allclose(reloaded.carried_state[1], model.carried_state[1])


def test_stateful_batch_size_mismatch_is_reported(rng):
    x, y = sequences(rng, batch=3)
    model = make_model(stateful_across_batches=True, batch_size=2)
    with pytest.raises(ValueError, match="batch_size=2"):  # static batch size
        model.train_on_batch(x, y)
    # With the batch size unknown when tracing, the check runs in graph.
    dynamic = tf.data.Dataset.from_generator(
        lambda: iter([(x, y)]),
        output_signature=(
            tf.TensorSpec((None, None, 4), tf.float32),
            tf.TensorSpec((None, None, 2), tf.float32),
        ),
    ).apply(tf.data.experimental.assert_cardinality(1))
    model = make_model(stateful_across_batches=True, batch_size=2)
    with pytest.raises(tf.errors.InvalidArgumentError, match="batch_size=2"):
        model.fit(dynamic, epochs=1, verbose=0, shuffle=False)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"window_size": 0}, "window_size"),
        ({"window_size": 2, "update": "sometimes"}, "update"),
        ({"window_size": 2, "stateful_across_batches": True}, "batch_size"),
        ({"window_size": 2, "stateful_across_batches": 1}, "stateful_across_batches"),
    ],
)
def test_constructor_rejects_bad_arguments(kwargs, match):
    rnn = keras.layers.RNN(VanillaRNNCell(3), return_sequences=True, return_state=True)
    with pytest.raises(ValueError, match=match):
        TruncatedBPTT(rnn, keras.layers.Dense(1), **kwargs)


def test_constructor_rejects_unsuitable_layers():
    with pytest.raises(ValueError, match="return_state=True"):
        TruncatedBPTT(
            keras.layers.RNN(VanillaRNNCell(3), return_sequences=True),
            keras.layers.Dense(1),
            2,
        )
    rnn = keras.layers.RNN(VanillaRNNCell(3), return_sequences=True, return_state=True)
    with pytest.raises(ValueError, match="head"):
        TruncatedBPTT(rnn, "dense", 2)
    with pytest.raises(ValueError, match="stateful_across_batches=True"):
        TruncatedBPTT(rnn, keras.layers.Dense(1), 2).reset_state()


def test_train_step_rejects_targets_without_time_axis(rng):
    x, _ = sequences(rng)
    model = make_model()
    with pytest.raises(ValueError, match="one target per step"):
        model.train_on_batch(x, np.zeros((3,), "float32"))


def test_stream_windows_rejects_bad_streams(rng):
    stream = rng.standard_normal((10, 2))
    with pytest.raises(ValueError, match="num_streams"):
        stream_windows(stream, stream, window_size=2, num_streams=3)
    with pytest.raises(ValueError, match="targets"):
        stream_windows(stream, stream[:9], window_size=2, num_streams=2)
    with pytest.raises(ValueError, match="inputs"):
        stream_windows(stream[None], stream, window_size=2, num_streams=2)


def test_stateful_fit_keeps_the_stream_order_of_numpy_batches(rng):
    # 4 consecutive batches of one 2-row stream, given as numpy arrays: fit
    # must feed them in order (Keras shuffles numpy batches by default).
    stream = rng.standard_normal((2, 16, 4)).astype("float32")
    targets = rng.standard_normal((2, 16, 2)).astype("float32")
    x = stream.reshape(2, 4, 4, 4).transpose(1, 0, 2, 3).reshape(8, 4, 4)
    y = targets.reshape(2, 4, 4, 2).transpose(1, 0, 2, 3).reshape(8, 4, 2)
    model = make_model(window_size=4, stateful_across_batches=True, batch_size=2)
    model.fit(x, y, batch_size=2, epochs=1, verbose=0)
    _, h_full = model.recurrent(stream)
    np.testing.assert_allclose(model.carried_state[0], h_full, atol=1e-5)
    with pytest.raises(ValueError, match="`shuffle` must be False"):
        model.fit(x, y, batch_size=2, shuffle=True, verbose=0)
