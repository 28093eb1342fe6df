"""Tests for keras_rnn_kit/models/visual_dialog/visual_dialog_training.py and the
scene-dialog trainer in visual_dialog_recipe.py."""

import dataclasses

import numpy as np
import pytest

from keras_rnn_kit.data.scene_generator import SceneGenerator
from keras_rnn_kit.data.visdial_easy_vqa import scene_dialog_view
from keras_rnn_kit.metrics.retrieval import retrieval_metrics
from keras_rnn_kit.models.visual_dialog import visual_dialog_training as training
from keras_rnn_kit.models.visual_dialog.visual_dialog_recipe import train_scene_dialog


@pytest.fixture(scope="module")
def trained():
    return train_scene_dialog(quick=True, encoder="late_fusion", image_size=32)


@pytest.fixture(scope="module")
def held_out():
    generator = SceneGenerator(image_size=32, seed=0)
    # The scenes after the 100 training ones: the quick run's held-out split.
    scenes = [generator.scene(i) for i in range(100, 125)]
    return scene_dialog_view(scenes, generator.answer_vocabulary())


def _predict(model, examples):
    dataset = training.dialog_dataset(model.preprocessor, examples, 64, shuffle=False)
    return np.asarray(model.predict(dataset, verbose=0))


@pytest.mark.slow
def test_quick_run_reports_every_metric_on_all_rounds_and_on_follow_ups(
    trained, held_out
):
    model, results = trained
    assert results["epochs"] == 1 and results["train_seconds"] > 0
    for scores in (
        results,
        results["without_history"],
        results["history_dependent"],
        results["history_dependent"]["without_history"],
    ):
        assert 0 <= scores["r@1"] <= scores["r@5"] <= scores["r@10"] <= 1
        assert 1 <= scores["mean_rank"] <= len(held_out.candidates)
        # One relevant candidate: VisDial's NDCG (k = number relevant) is R@1.
        assert scores["ndcg"] == pytest.approx(scores["r@1"])
    assert results["history_dependent"]["count"] == held_out.history_dependent.sum()
    # The quick run scores exactly the held-out scenes rebuilt here.
    expected = retrieval_metrics(
        _predict(model, held_out), held_out.answer_ids, ks=(1, 5, 10)
    )
    for key, value in expected.items():
        assert results[key] == pytest.approx(value, abs=1e-6)


@pytest.mark.slow
def test_ablation_blanks_every_history_round_and_subsets_the_follow_ups(
    trained, held_out
):
    model, _ = trained
    results = training.score_dialogs(model, held_out)
    blank = dataclasses.replace(
        held_out, histories=np.full_like(held_out.histories, "")
    )
    with_history, without = _predict(model, held_out), _predict(model, blank)
    # Late fusion reads the history, so blanking it changes the scores.
    assert np.abs(with_history - without).max() > 1e-4
    rows = held_out.history_dependent
    for scores, subset in (
        (results["without_history"], without),
        (results["history_dependent"]["without_history"], without[rows]),
        (results["history_dependent"], with_history[rows]),
    ):
        truth = (
            held_out.answer_ids[rows]
            if len(subset) < len(held_out)
            else (held_out.answer_ids)
        )
        assert scores["mrr"] == pytest.approx(
            retrieval_metrics(subset, truth)["mrr"], abs=1e-6
        )


def test_bad_arguments_name_themselves():
    with pytest.raises(ValueError, match="`num_scenes`"):
        train_scene_dialog(num_scenes=-1)
    with pytest.raises(ValueError, match="`epochs`"):
        train_scene_dialog(epochs=-2)
