"""Tests for keras_rnn_kit.applications and the recipes it registers.

Fast paths only: the registry, argument errors, the offline data each
application reads. Training runs end to end in tests/test_cli.py (one `--tiny`
train + predict per application, in a fresh process).
"""

import dataclasses
import os

import keras
import numpy as np
import pytest

from keras_rnn_kit import applications
from keras_rnn_kit.applications import APPLICATIONS
from keras_rnn_kit.applications import evaluate_application
from keras_rnn_kit.applications import get_application
from keras_rnn_kit.applications import load_task_model
from keras_rnn_kit.applications import predict_application
from keras_rnn_kit.applications import train_application
from keras_rnn_kit.data.number_translation import number_to_chinese
from keras_rnn_kit.data.number_translation import number_to_english
from keras_rnn_kit.models.recipe import Recipe
from keras_rnn_kit.models.vqa import vqa_training
from keras_rnn_kit.training import make_dataset
from keras_rnn_kit.training.run_length import MAX_DEFAULT_EPOCHS
from tests.test_case import tiny_application


def test_registry_names_every_application():
    assert sorted(APPLICATIONS) == [
        "captioning",
        "sentiment",
        "translation",
        "visual-dialog",
        "vqa",
    ]
    for name, app in APPLICATIONS.items():
        assert app.name == name and app.epochs > 0 and app.batch_size > 0
        assert app.data_help and isinstance(app, Recipe)
        # A frozen, typed recipe: a variant is a replace, the registry stays.
        variant = dataclasses.replace(app, epochs=app.epochs + 1)
        assert variant.epochs == app.epochs + 1 != APPLICATIONS[name].epochs
        with pytest.raises(dataclasses.FrozenInstanceError):
            app.epochs = 1


@pytest.mark.parametrize("name", ["vqa", "captioning", "visual-dialog"])
def test_image_recipes_build_the_task_around_the_preprocessor_they_loaded(name):
    # One preprocessor per run: the training examples and the task share it, so
    # no model is built just to make the pipeline.
    _, prepared, model = tiny_application(name)
    assert model.preprocessor is prepared.preprocessor
    x, y = next(iter(prepared.train.batch(2)))[:2]
    assert model.predict_on_batch(x).shape[0] == y.shape[0] == 2


def test_unknown_application_names_the_choices():
    with pytest.raises(ValueError, match="`application`.*sentimnet"):
        get_application("sentimnet")


def test_bad_arguments_fail_before_any_data_is_read(tmp_path):
    out = os.path.join(tmp_path, "out")
    with pytest.raises(ValueError, match="`epochs`"):
        train_application("translation", out=out, epochs=0)
    with pytest.raises(ValueError, match="`batch_size`"):
        train_application("translation", out=out, batch_size=-1)
    assert not os.path.exists(out)


def test_predict_rejects_options_the_application_does_not_take():
    with pytest.raises(ValueError, match="`question` does not apply to translation"):
        predict_application("translation", "m.keras", ["三"], question="why?")
    with pytest.raises(ValueError, match="`beam_width` does not apply to sentiment"):
        predict_application("sentiment", "m.keras", ["good"], beam_width=2)
    with pytest.raises(ValueError, match="at least one input"):
        predict_application("sentiment", "m.keras", [])


def test_load_task_model_errors_name_the_path(tmp_path):
    missing = os.path.join(tmp_path, "missing.keras")
    with pytest.raises(FileNotFoundError, match="missing.keras"):
        load_task_model(missing)
    other = os.path.join(tmp_path, "weights.h5")
    open(other, "w").close()
    with pytest.raises(ValueError, match=r"\.keras file, got .*weights.h5"):
        evaluate_application("sentiment", other)


def test_translation_default_is_the_generated_numbers_task():
    task = get_application("translation").load(None, tiny=True, seed=0)
    sources, targets = task.test
    assert len(sources) == 30 and "270 training pairs, 30 held out" in task.description
    # Held-out pairs are real translations of whole numbers 0-299.
    for source, target in zip(sources, targets, strict=True):
        matches = [n for n in range(300) if number_to_chinese(n) == source]
        assert len(matches) == 1 and number_to_english(matches[0]) == target
    assert int(task.train.cardinality()) == 270
    x, y, weight = next(iter(task.train))
    assert sorted(x) == ["decoder_token_ids", "padding_mask", "token_ids"]
    assert y.shape == weight.shape


def test_translation_reads_a_parallel_tsv(tmp_path):
    path = os.path.join(tmp_path, "pairs.tsv")
    rows = [(number_to_chinese(n), number_to_english(n)) for n in range(20)]
    with open(path, "w", encoding="utf-8") as f:
        f.write("".join(f"{s}\t{t}\tattribution\n" for s, t in rows))
    task = get_application("translation").load(path, tiny=False, seed=0)
    # A seeded shuffled split (tests/test_user_data_files.py), pairs kept whole.
    sources, targets = task.test
    assert len(sources) == 2 and all(
        dict(rows)[s] == t for s, t in zip(sources, targets, strict=True)
    )
    assert "18 training pairs, 2 held out" in task.description


def test_translation_tsv_needs_two_pairs(tmp_path):
    path = os.path.join(tmp_path, "one.tsv")
    with open(path, "w", encoding="utf-8") as f:
        f.write("三\tthree\n")
    with pytest.raises(ValueError, match="at least 2 .* got 1"):
        get_application("translation").load(path, tiny=False, seed=0)


def test_sentiment_reads_a_labelled_csv(tmp_path):
    path = os.path.join(tmp_path, "reviews.csv")
    with open(path, "w", encoding="utf-8") as f:
        f.write("text,label\n" + "".join(f"review {i},{i % 2}\n" for i in range(10)))
    task = get_application("sentiment").load(path, tiny=False, seed=0)
    # A seeded, shuffled, stratified split (tests/test_user_data_files.py).
    texts, labels = task.test
    assert sorted(labels.tolist()) == [0, 1]
    assert [int(t.split()[1]) % 2 for t in texts] == labels.tolist()
    assert sorted(texts + task.train_texts) == sorted(f"review {i}" for i in range(10))


def test_vqa_and_captioning_reject_unknown_data():
    with pytest.raises(ValueError, match="`data`.*coco"):
        get_application("vqa").load("coco", tiny=True, seed=0)
    with pytest.raises(ValueError, match="`data`.*easy_vqa"):
        get_application("captioning").load("easy_vqa", tiny=True, seed=0)


def test_vqa_tiny_is_real_easy_vqa():
    task = get_application("vqa").load(None, tiny=True, seed=0)
    train, test = task.train_split, task.test
    assert train.images.shape == (32, 64, 64, 3) and test.images.shape[0] == 8
    assert set(test.answers) <= set(train.answer_vocabulary)


@pytest.mark.parametrize("name", ["vqa", "visual-dialog"])
def test_question_answering_requires_a_question(name):
    predict = get_application(name).predict
    with pytest.raises(ValueError, match="`--question` is required"):
        predict(None, ["image.png"], {})


def test_visual_dialog_tiny_is_easy_vqa_as_dialogs():
    task = get_application("visual-dialog").load(None, tiny=True, seed=0)
    train, test = task.train_split, task.test
    assert train.images.shape == (16, 64, 64, 3) and test.images.shape[0] == 4
    assert train.histories.shape[1] == get_application("visual-dialog").rounds - 1
    # A round's history starts with the previous round's question and answer.
    assert train.histories[1, 0] == (
        f"{train.questions[0]} {train.candidates[train.answer_ids[0]]}"
    )


def test_captioning_tiny_holds_out_other_scenes():
    task = get_application("captioning").load(None, tiny=True, seed=0)
    images, captions = task.train_split
    assert images.shape == (64, 32, 32, 3) and len(captions) == 64
    test_images, test_captions = task.test
    assert len(test_captions) == 16 and all(c.strip() for c in test_captions)
    assert not any(np.array_equal(t, i) for t in test_images for i in images)


def test_small_training_sets_get_the_recipes_minimum_steps():
    app = get_application("translation")
    assert app.min_steps > 0
    # 1,000 pairs at batch 64: 16 steps an epoch, so the default 12 epochs
    # (192 steps) rise to cover min_steps.
    epochs = app.default_epochs(1_000, 64)
    assert epochs * 16 >= app.min_steps > (epochs - 1) * 16
    assert app.default_epochs(10**6, 64) == app.epochs  # big data: as registered
    assert app.default_epochs(-2, 64) == app.epochs  # size unknown
    # A tiny file: one step an epoch, capped (each epoch writes a backup).
    assert app.default_epochs(10, 64) == MAX_DEFAULT_EPOCHS < app.min_steps
    assert (
        get_application("vqa").default_epochs(10, 64) == get_application("vqa").epochs
    )
    with pytest.raises(ValueError, match="`batch_size`"):
        app.default_epochs(1_000, 0)


def test_a_small_sentiment_file_gets_the_minimum_steps_from_its_arrays():
    # Sentiment trains from arrays, not a sized tf.data set: their length counts.
    app = get_application("sentiment")
    prepared = app.load(None, tiny=True, seed=0)  # 204 training texts
    assert isinstance(prepared.train[0], np.ndarray)
    logged = []
    epochs = applications._default_epochs(app, prepared, 64, logged.append)
    assert epochs * 4 >= app.min_steps > (epochs - 1) * 4 and epochs > app.epochs
    assert logged == [
        f"sentiment: {epochs} epochs of 4 steps: a small training set (204 "
        f"examples) still gets {app.min_steps:,} steps (pass --epochs to choose)"
    ]
    large = dataclasses.replace(prepared, train=(np.array(["x"] * 10_000), None))
    assert applications._default_epochs(app, large, 64, logged.append) == app.epochs


def test_data_with_its_own_default_epochs_trains_them():
    # The visual-dialog recipe trains its generated scene dialogs 15 epochs,
    # easy-VQA's 6, whichever entry point runs it.
    app = get_application("visual-dialog")
    scenes = app.load("scenes", tiny=True, seed=0)
    easy_vqa = app.load(None, tiny=True, seed=0)
    assert (scenes.epochs, easy_vqa.epochs) == (app.scene_epochs, None)
    logged = []
    assert applications._default_epochs(app, scenes, 64, logged.append) == 15
    assert applications._default_epochs(app, easy_vqa, 64, logged.append) == 6
    assert logged == []  # not raised by min_steps: nothing to explain
    model = app.build(scenes, tiny=True)
    assert model.candidates == scenes.train_split.candidates


def test_vqa_recipe_decays_its_learning_rate_over_the_run_it_is_given():
    app = get_application("vqa")
    task = app.load(None, True, 0)
    model = app.build(task, True, epochs=3, batch_size=16)
    assert model.backbone.image_size == vqa_training.IMAGE_SIZE
    steps = 3 * -(-len(task.train_split) // 16)
    rates = []
    for step in (0, steps // 2, steps):
        model.optimizer.iterations.assign(step)
        rates.append(float(model.optimizer.learning_rate))
    assert rates[0] == pytest.approx(vqa_training.LEARNING_RATE)
    assert rates[1] == pytest.approx(vqa_training.LEARNING_RATE / 2, rel=0.05)
    assert rates[2] == pytest.approx(0.0, abs=1e-9)
    assert (app.epochs, app.batch_size) == (
        vqa_training.EPOCHS,
        vqa_training.BATCH_SIZE,
    )


def test_a_replaced_recipe_trains_as_its_application(tmp_path):
    show_and_tell = dataclasses.replace(get_application("captioning"), attention=None)
    result = train_application(
        show_and_tell, out=str(tmp_path), tiny=True, verbose=0, log=lambda line: None
    )
    assert result["model_path"] == os.path.join(tmp_path, "captioning.keras")
    model = load_task_model(result["model_path"])
    assert model.backbone.attention is None
    assert result["model"].backbone.attention is None
    images, captions = result["prepared"].test
    assert len(images) == len(captions) > 0
    assert get_application("captioning").attention == "bahdanau"


def test_a_translation_variant_builds_the_cells_and_attention_it_names():
    recipe = get_application("translation")
    prepared = recipe.load(None, tiny=True)
    default = recipe.build(prepared, tiny=True).backbone.get_config()
    assert (default["encoder_type"], default["encoder_cell"]) == (
        "bidirectional",
        "lstm",
    )
    assert (default["decoder_cell"], default["attention"]) == ("lstm", "bahdanau")
    variant = dataclasses.replace(
        recipe, encoder_type="stacked", cell="original_lstm", attention="luong_dot"
    )
    config = variant.build(prepared, tiny=True).backbone.get_config()
    assert (config["encoder_type"], config["attention"]) == ("stacked", "luong_dot")
    assert config["encoder_cell"] == config["decoder_cell"] == "original_lstm"
    with pytest.raises(ValueError, match="encoder_cell"):
        dataclasses.replace(recipe, cell="gru").build(prepared, tiny=True)


def test_translation_trains_on_renamed_number_copies_of_copying_pairs(tmp_path):
    path = os.path.join(tmp_path, "amounts.tsv")
    rows = [(f"人民币{n}元", f"RMB {n:,}") for n in (1041, 3450, 18, 700)]
    rows += [("五月", "May"), ("5月", "May")]  # nothing to copy
    with open(path, "w", encoding="utf-8") as f:
        f.write("".join(f"{s}\t{t}\n" for s, t in rows))
    recipe = get_application("translation")
    task = recipe.load(path, seed=0, validation_split=0.2)
    held_sources, _ = task.test
    copying = sum(s.startswith("人民币") for s, _ in rows if s not in held_sources)
    assert f"{len(rows) - 1} training pairs (+{copying} with renamed numbers)" in (
        task.description
    )
    assert int(task.train.cardinality()) == len(rows) - 1 + copying
    # The copies are training examples only; the held-out pair is the file's.
    assert set(held_sources) <= {s for s, _ in rows}
    plain = dataclasses.replace(recipe, number_copies=0).load(
        path, seed=0, validation_split=0.2
    )
    assert int(plain.train.cardinality()) == len(rows) - 1
    assert "renamed" not in plain.description


def train_one_step(model, prepared):
    """Fits `model` on one batch of 4 training examples; asserts the loss is
    finite and some trainable weight moved."""
    dataset, _ = make_dataset(prepared.train, 4)
    before = [np.array(w) for w in model.trainable_weights]
    history = model.fit(dataset.take(1), epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    assert any(
        not np.allclose(w, b)
        for w, b in zip(model.trainable_weights, before, strict=True)
    )


@pytest.mark.slow
@pytest.mark.parametrize("name", list(APPLICATIONS))
@pytest.mark.parametrize("policy", ["float64", "mixed_float16"])
def test_every_application_trains_and_scores_under_a_global_dtype_policy(name, policy):
    # float64: every weight float64 (the kit's kernels step aside for the loop);
    # mixed_float16: float32 weights, float16 compute. One step, then the
    # recipe's own metrics on its test split, all finite. (conftest resets the
    # policy after each test.)
    keras.config.set_dtype_policy(policy)
    recipe, prepared, model = tiny_application(name)
    train_one_step(model, prepared)
    variable_dtype = "float64" if policy == "float64" else "float32"
    assert {w.dtype for w in model.weights if "float" in w.dtype} == {variable_dtype}
    metrics = recipe.evaluate(model, prepared.test)
    assert metrics and all(np.isfinite(v) for v in metrics.values()), metrics
    # The image L2 norm (VQA, visual dialog) computes in float32 under mixed
    # precision: 64 features of 100 square to past float16's 65,504, and a
    # float16 UnitNormalization returned zeros.
    for layer in model._flatten_layers():
        if layer.name == "image_l2_norm":
            unit = np.asarray(layer(np.full((1, 64), 100.0, "float32")), "float64")
            assert np.linalg.norm(unit) == pytest.approx(1.0, abs=1e-3)


@pytest.mark.slow
@pytest.mark.parametrize("name", [n for n in APPLICATIONS if n != "translation"])
def test_every_application_trains_a_step_compiled_by_xla(name):
    # `jit_compile=True` is Keras's "auto" on a GPU when no layer opts out (the
    # captioner's attention decoder used to fail there: an unbounded time loop).
    # The translator's step is compared with the graph step in test_translator.
    _, prepared, model = tiny_application(name)
    model.jit_compile = True
    assert model.jit_compile is True  # Keras drops it for a layer without XLA
    train_one_step(model, prepared)
