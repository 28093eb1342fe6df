import warnings

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_rnn_kit.models.sentiment import SentimentBackbone
from keras_rnn_kit.models.sentiment import SentimentClassifier
from keras_rnn_kit.models.sentiment import SentimentPreprocessor
from tests.test_case import run_python

POSITIVE = ["good", "great", "tasty", "fresh", "friendly", "lovely", "excellent"]
NEGATIVE = ["bad", "awful", "bland", "stale", "rude", "cold", "terrible"]
NOUNS = ["food", "service", "soup", "staff", "pizza", "chicken", "room"]
ADVERBS = ["really", "very", "quite", "so", ""]
SPEC_EXAMPLES = [
    "The food was really good",
    "The chicken crossed the road because it was uncooked",
]


def negation_reviews(count, seed):
    """`the <noun> was [not] [adverb] <adjective> [today]`: "not" flips the label.

    A bag of words cannot solve it (each word is as often in positive as in
    negative reviews); the model must read "not" before the adjective.
    """
    rng = np.random.default_rng(seed)
    texts, labels = [], []
    for _ in range(count):
        positive, negated = rng.random() < 0.5, rng.random() < 0.5
        words = ["the", rng.choice(NOUNS), "was"] + ["not"] * negated
        words += [rng.choice(ADVERBS), rng.choice(POSITIVE if positive else NEGATIVE)]
        words += ["today"] * (rng.random() < 0.3)
        texts.append(" ".join(w for w in words if w))
        labels.append(int(positive != negated))
    return texts, np.array(labels)


def make(texts, num_classes=2, structure="single", **kwargs):
    pre = SentimentPreprocessor.from_texts(
        texts, sequence_length=8, max_sentences=kwargs.pop("max_sentences", None)
    )
    backbone = SentimentBackbone(
        len(pre.vocabulary), 16, units=16, structure=structure,
        num_layers=1, **kwargs,
    )
    names = ["neg", "pos"] if num_classes == 2 else None
    model = SentimentClassifier(backbone, num_classes, pre, class_names=names)
    return model


@pytest.fixture(scope="module")
def trained():
    keras.utils.set_random_seed(7)
    texts, labels = negation_reviews(800, seed=0)
    model = make(texts, structure="bidirectional", cell="lstm")
    model.compile(optimizer=keras.optimizers.Adam(1e-2))
    model.fit(texts, labels, epochs=5, batch_size=32, verbose=0)
    return model


@pytest.mark.slow
def test_learns_negation_to_high_accuracy(trained):
    texts, labels = negation_reviews(300, seed=1)
    _, accuracy = trained.evaluate(texts, labels, verbose=0)
    assert accuracy >= 0.95
    prediction = trained.predict_text(
        ["the soup was not fresh", "the staff was not rude"]
    )
    assert prediction.labels == ["neg", "pos"]


def test_predict_text_edge_cases(trained):
    prediction = trained.predict_text(SPEC_EXAMPLES + ["", "zzz qqq xyz", "!!!"])
    assert len(prediction) == 5 and set(prediction.labels) <= {"neg", "pos"}
    assert prediction.probabilities.shape == (5, 2)
    np.testing.assert_allclose(prediction.probabilities.sum(-1), 1.0, atol=1e-6)
    assert np.isfinite(prediction.probabilities).all()
    np.testing.assert_array_equal(
        prediction.label_ids, prediction.probabilities.argmax(-1)
    )
    single = trained.predict_text("The food was really good")
    np.testing.assert_allclose(
        single.probabilities[0], prediction.probabilities[0], atol=1e-6
    )
    assert len(trained.predict_text([])) == 0


@pytest.mark.parametrize("bad", [[1, 2], ["fine", None], 3.0])
def test_predict_text_rejects_non_strings(trained, bad):
    with pytest.raises(TypeError, match="`texts`"):
        trained.predict_text(bad)


def test_labels_outside_declared_classes_raise(trained):
    with pytest.raises(ValueError, match=r"`y` must hold class ids in \[0, 2\).*2"):
        trained.fit(["good", "bad"], [1, 2], epochs=1, verbose=0)
    with pytest.raises(ValueError, match="`y`"):
        trained.fit(["good", "bad"], ["pos", "neg"], epochs=1, verbose=0)
    dataset = tf.data.Dataset.from_tensor_slices((["good", "bad"], [1, -1])).batch(2)
    with pytest.raises(tf.errors.InvalidArgumentError, match="`y` must hold"):
        trained.evaluate(dataset, verbose=0)
    # Preprocessed inputs too: binary cross-entropy would take a 2 silently.
    packed = {k: v.numpy() for k, v in trained.preprocessor(["good", "bad"]).items()}
    preprocessed = tf.data.Dataset.from_tensor_slices((packed, [1, 2])).batch(2)
    with pytest.raises(tf.errors.InvalidArgumentError, match="`y` must hold"):
        trained.evaluate(preprocessed, verbose=0)


def test_fit_accepts_datasets_and_preprocessed_inputs(trained):
    texts, labels = negation_reviews(64, seed=2)
    raw = tf.data.Dataset.from_tensor_slices((texts, labels)).batch(16)
    raw_accuracy = trained.evaluate(raw, verbose=0)[1]
    packed = trained.preprocessor(texts)
    packed_accuracy = trained.evaluate(
        {k: v.numpy() for k, v in packed.items()}, labels, verbose=0
    )[1]
    assert raw_accuracy == pytest.approx(packed_accuracy)


@pytest.mark.slow
def test_multiclass_head_and_compile_defaults():
    texts = ["good", "bad", "okay"] * 4
    model = make(texts, num_classes=3, pooling="mean")
    model.compile()
    assert isinstance(model.loss, keras.losses.SparseCategoricalCrossentropy)
    assert model.loss.get_config()["from_logits"]
    assert isinstance(model.optimizer, keras.optimizers.Adam)
    model.fit(texts, [2, 0, 1] * 4, epochs=1, verbose=0)
    prediction = model.predict_text(["good", "meh"])
    assert prediction.probabilities.shape == (2, 3)
    assert prediction.labels[0] in {0, 1, 2}
    np.testing.assert_allclose(prediction.probabilities.sum(-1), 1.0, atol=1e-6)
    binary = make(texts)
    binary.compile()
    assert isinstance(binary.loss, keras.losses.BinaryCrossentropy)


@pytest.mark.slow
def test_hierarchical_classifier_trains_and_predicts():
    texts = ["Good food. Great staff!", "Bad soup. Rude staff.", "good", "bad"] * 4
    model = make(texts, structure="hierarchical", max_sentences=3)
    model.compile()
    history = model.fit(texts, [1, 0, 1, 0] * 4, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    prediction = model.predict_text(["", "Good. Good. Good. Good."])
    assert np.isfinite(prediction.probabilities).all()
    assert prediction.probabilities.shape == (2, 2)


def test_constructor_errors():
    texts = ["good", "bad"]
    backbone = make(texts).backbone
    with pytest.raises(TypeError, match="`backbone`"):
        SentimentClassifier("lstm")
    with pytest.raises(ValueError, match="`num_classes` must be at least 2"):
        SentimentClassifier(backbone, num_classes=1)
    with pytest.raises(ValueError, match="`class_names` must hold 2"):
        SentimentClassifier(backbone, class_names=["a", "b", "c"])
    bare = SentimentClassifier(backbone)
    with pytest.raises(ValueError, match="predict_text.* needs a .preprocessor."):
        bare.predict_text(["good"])


@pytest.mark.slow
def test_save_and_reload_in_fresh_process_gives_identical_predictions(
    trained, tmp_path
):
    path = str(tmp_path / "sentiment.keras")
    trained.save(path)
    texts = SPEC_EXAMPLES + ["the soup was not fresh", "", "我爱 pizza"]
    want = trained.predict_text(texts)
    out = run_python(
        f"""
        import keras, numpy as np
        import keras_rnn_kit.models.sentiment  # registers the classes
        model = keras.saving.load_model({path!r})
        prediction = model.predict_text({texts!r})
        np.save({str(tmp_path / "p.npy")!r}, prediction.probabilities)
        tokens = model.preprocessor.vocabulary.tokens
        print(tokens == {trained.preprocessor.vocabulary.tokens!r})
        print(prediction.labels)
        """
    )
    lines = out.strip().splitlines()
    assert lines[-2] == "True"
    assert lines[-1] == str(want.labels)
    reloaded = np.load(tmp_path / "p.npy")
    np.testing.assert_allclose(reloaded, want.probabilities, atol=1e-6)


def test_predict_and_validation_data_take_raw_texts(trained):
    texts, labels = negation_reviews(32, seed=3)
    logits = trained.predict(texts, verbose=0)
    assert logits.shape == (32, 1)
    probabilities = trained.predict_text(texts).probabilities[:, 1]
    np.testing.assert_allclose(1 / (1 + np.exp(-logits[:, 0])), probabilities,
                               atol=1e-6)
    dataset_logits = trained.predict(
        tf.data.Dataset.from_tensor_slices(texts).batch(8), verbose=0
    )
    np.testing.assert_allclose(dataset_logits, logits, atol=1e-6)
    with pytest.raises(ValueError, match="`validation_data`.*tuple of length 1"):
        trained.fit(texts, labels, validation_data=(texts,), verbose=0)
    with pytest.raises(ValueError, match="`y` is required with raw `x`"):
        trained.fit(texts, verbose=0)
    with pytest.raises(ValueError, match="`x` and `y` must hold the same number"):
        trained.evaluate(texts, labels[:-1], verbose=0)
    with pytest.raises(TypeError, match="`x` must hold raw texts"):
        trained.predict([1, 2], verbose=0)


def test_a_reloaded_task_is_compiled_as_saved_and_trains_on(trained, tmp_path):
    path = tmp_path / "classifier.keras"
    trained.save(path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "`compile()` was not called"
        reloaded = keras.saving.load_model(path)
    assert reloaded.compiled
    assert reloaded.optimizer.learning_rate.numpy() == pytest.approx(1e-2)
    assert reloaded.optimizer.iterations.numpy() == trained.optimizer.iterations.numpy()
    texts, labels = negation_reviews(64, seed=2)
    np.testing.assert_allclose(
        reloaded.evaluate(texts, labels, verbose=0),
        trained.evaluate(texts, labels, verbose=0),
        rtol=1e-5,
    )
    reloaded.fit(texts, labels, epochs=1, batch_size=32, verbose=0)
