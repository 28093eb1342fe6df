"""TFLiteRunner: encode/step signatures in one file, greedy and beam decoding."""

import itertools
import os

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_rnn_kit.cells import LSTMCell
from keras_rnn_kit.export import TFLiteRunner
from keras_rnn_kit.export import export_tflite
from keras_rnn_kit.export import tflite_runner
from keras_rnn_kit.export.tflite_runner import log_softmax
from tests.test_case import run_python

VOCAB, UNITS, GO, EOS, MAX_LENGTH = 5, 8, 1, 2, 6
SOURCES = [np.array([3, 4, 0, 3]), np.array([4]), np.array([0, 0, 3, 4, 4, 3, 1])]


@pytest.fixture(scope="module")
def seq2seq():
    """A tiny hand-built encoder and one-step decoder sharing one owner model."""
    keras.utils.set_random_seed(21)
    source = keras.Input((None,), dtype="int32", name="source_ids")
    _, h, c = keras.layers.RNN(LSTMCell(UNITS), return_state=True)(
        keras.layers.Embedding(VOCAB, 4)(source)
    )
    encoder = keras.Model(source, {"h": h, "c": c})
    token = keras.Input((), dtype="int32", name="token_ids")
    h_in = keras.Input((UNITS,), name="h")
    c_in = keras.Input((UNITS,), name="c")
    cell = LSTMCell(UNITS)
    y, (h_out, c_out) = cell(keras.layers.Embedding(VOCAB, 4)(token), [h_in, c_in])
    head = keras.layers.Dense(
        VOCAB, kernel_initializer=keras.initializers.RandomNormal(stddev=2.0)
    )
    logits = head(y)
    step = keras.Model([token, h_in, c_in], {"logits": logits, "h": h_out, "c": c_out})
    owner = keras.Model([source, token, h_in, c_in], [h, c, logits, h_out, c_out])
    return owner, encoder, step


@pytest.fixture(scope="module")
def seq2seq_tflite(seq2seq, tmp_path_factory):
    owner, encoder, step = seq2seq

    @tf.function(input_signature=[tf.TensorSpec((1, None), tf.int32, name="token_ids")])
    def encode(token_ids):
        return encoder(token_ids)

    @tf.function(
        input_signature=[
            tf.TensorSpec((1,), tf.int32, name="token_ids"),
            tf.TensorSpec((1, UNITS), tf.float32, name="h"),
            tf.TensorSpec((1, UNITS), tf.float32, name="c"),
        ]
    )
    def decode_step(token_ids, h, c):
        return step([token_ids, h, c])

    path = os.path.join(tmp_path_factory.mktemp("seq2seq"), "seq2seq.tflite")
    return export_tflite(
        owner, path, signatures={"encode": encode, "step": decode_step}
    )


def _keras_log_probs(step, token, h, c):
    out = step([np.array([token], "int32"), np.asarray(h), np.asarray(c)])
    return log_softmax(out["logits"].numpy()[0]), out["h"].numpy(), out["c"].numpy()


def _keras_greedy(encoder, step, source):
    state = encoder(source[None].astype("int32"))
    h, c, token, tokens = state["h"], state["c"], GO, []
    for _ in range(MAX_LENGTH):
        log_probs, h, c = _keras_log_probs(step, token, h, c)
        token = int(np.argmax(log_probs))
        if token == EOS:
            break
        tokens.append(token)
    return tokens


def test_both_signatures_live_in_one_file(seq2seq_tflite):
    signatures = TFLiteRunner(seq2seq_tflite).signatures
    assert sorted(signatures) == ["encode", "step"]
    assert sorted(signatures["step"]["inputs"]) == ["c", "h", "token_ids"]
    assert sorted(signatures["step"]["outputs"]) == ["c", "h", "logits"]


@pytest.mark.slow
def test_greedy_decoding_equals_keras_greedy(seq2seq, seq2seq_tflite):
    _, encoder, step = seq2seq
    runner = TFLiteRunner(seq2seq_tflite)
    decoded = []
    for source in SOURCES:
        want = _keras_greedy(encoder, step, source)
        got = runner.greedy_decode({"token_ids": source[None]}, GO, EOS, MAX_LENGTH)
        assert got == want
        decoded.append(got)
    assert any(decoded), "the tiny model should produce some tokens"
    beam = runner.beam_decode({"token_ids": SOURCES[0][None]}, GO, EOS, MAX_LENGTH, 1)
    assert beam[0][0] == decoded[0]


@pytest.mark.slow
def test_exhaustive_beam_finds_the_best_sequence(seq2seq, seq2seq_tflite):
    _, encoder, step = seq2seq
    max_length = 3
    source = SOURCES[0]
    state = encoder(source[None].astype("int32"))
    # Brute force with Keras: every sequence ending in EOS within max_length,
    # and every sequence of max_length tokens without EOS.
    best, best_score, expanded = None, -np.inf, {(): (0.0, state["h"], state["c"])}
    for prefix in itertools.chain.from_iterable(
        itertools.product(range(VOCAB), repeat=n) for n in range(max_length)
    ):
        if EOS in prefix:
            continue
        score, h, c = expanded[prefix]
        log_probs, h, c = _keras_log_probs(step, prefix[-1] if prefix else GO, h, c)
        for token in range(VOCAB):
            total = score + float(log_probs[token])
            if token == EOS or len(prefix) + 1 == max_length:
                tokens = list(prefix) if token == EOS else list(prefix) + [token]
                if total > best_score:
                    best, best_score = tokens, total
            else:
                expanded[prefix + (token,)] = (total, h, c)
    runner = TFLiteRunner(seq2seq_tflite)
    beams = runner.beam_decode(
        {"token_ids": source[None]}, GO, EOS, max_length, beam_size=VOCAB**max_length
    )
    assert beams[0][0] == best
    np.testing.assert_allclose(beams[0][1], best_score, atol=1e-4)
    narrow = runner.beam_decode({"token_ids": source[None]}, GO, EOS, max_length, 2)
    assert narrow[0][1] <= best_score + 1e-4
    assert [score for _, score in narrow] == sorted(
        [score for _, score in narrow], reverse=True
    )


@pytest.mark.slow
def test_runner_needs_neither_tensorflow_nor_keras(seq2seq, seq2seq_tflite):
    _, encoder, step = seq2seq
    want = _keras_greedy(encoder, step, SOURCES[2])
    out = run_python(
        f"""
        import importlib.util, sys
        BANNED = ("tensorflow", "keras", "keras_rnn_kit")
        sys.modules.update(dict.fromkeys(BANNED))
        spec = importlib.util.spec_from_file_location(
            "tflite_runner", {tflite_runner.__file__!r})
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        import numpy as np
        runner = module.TFLiteRunner({seq2seq_tflite!r})
        source = np.array([{SOURCES[2].tolist()!r}])
        print(runner.greedy_decode({{"token_ids": source}}, {GO}, {EOS}, {MAX_LENGTH}))
        assert not [m for m, mod in sys.modules.items()
                    if m.split(".")[0] in BANNED and mod is not None]
        """
    )
    assert out.strip().splitlines()[-1] == str(want)


def test_bad_calls_are_named(seq2seq_tflite):
    runner = TFLiteRunner(seq2seq_tflite)
    with pytest.raises(KeyError, match="`signature` must be one of"):
        runner.run("decode", token_ids=np.zeros((1, 2)))
    with pytest.raises(ValueError, match=r"takes inputs \['c', 'h', 'token_ids'\]"):
        runner.run("step", token_ids=np.zeros((1,)))
    with pytest.raises(ValueError, match="exactly one of"):
        TFLiteRunner()
    with pytest.raises(ValueError, match="`beam_size` must be a positive integer"):
        runner.beam_decode({"token_ids": SOURCES[0][None]}, GO, EOS, 3, beam_size=0)
    with pytest.raises(ValueError, match="'encode' must return 'logits'"):
        runner.greedy_decode({"h": None}, GO, EOS, 3, encode="step", step="encode")


def test_fixed_axes_are_never_resized(seq2seq_tflite):
    runner = TFLiteRunner(seq2seq_tflite)
    assert runner.input_specs("encode") == {"token_ids": ((1, None), np.int32)}
    # The unknown time axis takes any length.
    for source in SOURCES:
        assert runner.run("encode", token_ids=source[None])["h"].shape == (1, UNITS)
    state = np.zeros((1, UNITS), "float32")
    with pytest.raises(ValueError) as error:
        runner.run("step", token_ids=np.array([1]), h=np.zeros((1, 9)), c=state)
    assert str(error.value) == (
        "Signature 'step' input 'h' has shape (1, 8) (None: any size); got (1, 9). "
        "Only the None axes can change size."
    )
    with pytest.raises(ValueError, match=r"'token_ids' has shape \(1,\) .* got \(\)"):
        runner.run("step", token_ids=np.array(1), h=state, c=state)


def test_another_batch_size_names_the_exported_batch(seq2seq_tflite):
    runner = TFLiteRunner(seq2seq_tflite)
    # LiteRT itself resizes any axis: this graph then ran at batch 2, others
    # fail to prepare a RESHAPE with a message that names no input (see the
    # dialog case in test_vision_export.py).
    with pytest.raises(ValueError) as error:
        runner.run("encode", token_ids=np.ones((2, 4), "int32"))
    assert str(error.value) == (
        "Signature 'encode' input 'token_ids' has shape (1, None) (None: any size); "
        "got (2, 4). Only the None axes can change size. The file was exported at "
        "batch 1: feed 1 row at a time, or re-export it with a batch-2 signature."
    )
    # The refused call left the interpreter usable.
    want = runner.run("encode", token_ids=SOURCES[0][None].astype("int32"))
    got = runner.run("encode", token_ids=SOURCES[0][None])
    np.testing.assert_array_equal(got["h"], want["h"])


def test_only_value_preserving_casts(seq2seq_tflite):
    runner = TFLiteRunner(seq2seq_tflite)
    int64_ids = SOURCES[0][None].astype("int64")
    want = runner.run("encode", token_ids=int64_ids.astype("int32"))
    np.testing.assert_array_equal(
        runner.run("encode", token_ids=int64_ids)["c"], want["c"]
    )
    np.testing.assert_array_equal(
        runner.run("encode", token_ids=int64_ids.tolist())["c"], want["c"]
    )
    state = np.zeros((1, UNITS))  # float64 -> float32
    assert runner.run("step", token_ids=[1], h=state, c=state)["logits"].shape == (
        1,
        VOCAB,
    )
    with pytest.raises(ValueError, match="'token_ids' takes int32; got float64"):
        runner.run("encode", token_ids=np.array([[1.0, 2.5]]))
    with pytest.raises(ValueError, match="'h' takes float32; got int64"):
        runner.run("step", token_ids=[1], h=np.zeros((1, UNITS), "int64"), c=state)
    with pytest.raises(ValueError, match=r"values in \[1, 4294967296\], outside int32"):
        runner.run("encode", token_ids=np.array([[1, 2**32]]))


@pytest.mark.slow
def test_an_unknown_batch_is_resized_and_decoding_feeds_one_row(
    seq2seq, seq2seq_tflite, tmp_path
):
    owner, encoder, step = seq2seq
    encode = tf.function(
        encoder, input_signature=[tf.TensorSpec((1, None), tf.int32, name="token_ids")]
    )

    @tf.function(
        input_signature=[
            tf.TensorSpec((None,), tf.int32, name="token_ids"),
            tf.TensorSpec((None, UNITS), tf.float32, name="h"),
            tf.TensorSpec((None, UNITS), tf.float32, name="c"),
        ]
    )
    def decode_step(token_ids, h, c):
        return step([token_ids, h, c])

    signatures = {"encode": encode, "step": decode_step}
    runner = TFLiteRunner(
        export_tflite(owner, tmp_path / "batch.tflite", signatures=signatures)
    )
    assert runner.input_specs("step")["h"] == ((None, UNITS), np.float32)
    rng = np.random.default_rng(4)
    for rows in (8, 1, 3):
        tokens = (np.arange(rows) % VOCAB).astype("int32")
        h, c = rng.normal(size=(2, rows, UNITS)).astype("float32")
        got = runner.run("step", token_ids=tokens, h=h, c=c)
        want = step([tokens, h, c])
        np.testing.assert_allclose(got["logits"], want["logits"], atol=1e-5)
    # The last call ran at batch 3; the decoders still feed one token per step.
    fixed = TFLiteRunner(seq2seq_tflite)
    for source in SOURCES:
        inputs = {"token_ids": source[None]}
        assert runner.greedy_decode(inputs, GO, EOS, MAX_LENGTH) == (
            fixed.greedy_decode(inputs, GO, EOS, MAX_LENGTH)
        )
