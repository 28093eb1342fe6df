"""Tests for keras_rnn_kit/models/visual_dialog/visual_dialog_model.py + training."""

import json

import numpy as np
import pytest

from keras_rnn_kit.data.easy_vqa_dataset import load_easy_vqa
from keras_rnn_kit.data.visdial_easy_vqa import dialog_view
from keras_rnn_kit.models.image_encoder import ImageEncoder
from keras_rnn_kit.models.visual_dialog import VisualDialogBackbone
from keras_rnn_kit.models.visual_dialog import VisualDialogModel
from keras_rnn_kit.models.visual_dialog import VisualDialogPreprocessor
from keras_rnn_kit.models.visual_dialog.visual_dialog_training import dialog_dataset
from tests.test_case import run_python


@pytest.fixture(scope="module")
def model():
    view = dialog_view(load_easy_vqa("test", max_images=4), max_rounds=3)
    pre = VisualDialogPreprocessor.from_dialogs(view, image_size=16)
    backbone = VisualDialogBackbone(
        pre.vocabulary_size,
        units=6,
        embedding_dim=4,
        image_size=16,
        answer_length=pre.answer_length,
        image_encoder=ImageEncoder(filters=(3,), image_size=16),
    )
    model = VisualDialogModel(backbone, pre, candidates=view.candidates)
    model.compile()
    return model, view


def test_scores_are_dot_products_and_rank_answers_sorts_them(model):
    model, view = model
    images = view.images[view.image_index[:3]]
    histories = view.histories[:3]
    candidates = [view.candidates] * 3
    ranked, scores = model.rank_answers(
        images, view.questions[:3], histories, candidates, batch_size=2
    )
    inputs = model.preprocessor(
        {
            "images": images,
            "questions": view.questions[:3],
            "histories": histories.astype(str),
            "candidates": np.array(candidates),
        }
    )
    encoded = model.backbone(inputs)
    expected = np.einsum(
        "bd,bcd->bc",
        np.asarray(encoded["encoding"]),
        np.asarray(encoded["candidate_encodings"]),
    )
    np.testing.assert_allclose(scores, expected, rtol=1e-5, atol=1e-6)
    for row in range(3):
        assert ranked[row] == [
            view.candidates[i] for i in np.argsort(-scores[row], kind="stable")
        ]


def test_pipeline_matches_the_preprocessor_and_checks_answer_ids(model):
    model, view = model
    batches = dialog_dataset(model.preprocessor, view, 4, shuffle=False)
    features, answers = next(iter(batches))
    direct = model.preprocessor(
        {
            "images": view.images[view.image_index[:4]],
            "questions": view.questions[:4],
            "histories": view.histories[:4].astype(str),
            "candidates": np.array([view.candidates] * 4),
        }
    )
    for key, value in direct.items():
        np.testing.assert_allclose(
            np.asarray(features[key]), np.asarray(value), err_msg=key
        )
    np.testing.assert_array_equal(answers, view.answer_ids[:4])
    broken = type(view)(**{**view.__dict__, "answer_ids": view.answer_ids + 100})
    with pytest.raises(ValueError, match=r"`answer_ids` must lie in \[0, 13\)"):
        dialog_dataset(model.preprocessor, broken, 4, shuffle=False)


def test_errors(model):
    model, view = model
    with pytest.raises(ValueError, match="same length"):
        model.rank_answers(
            view.images[:1],
            view.questions[:2],
            view.histories[:2],
            [view.candidates] * 2,
        )
    with pytest.raises(ValueError, match="preprocessor"):
        VisualDialogModel(model.backbone).rank_answers(
            view.images[:1], view.questions[:1], view.histories[:1], [view.candidates]
        )
    with pytest.raises(TypeError, match="`backbone`"):
        VisualDialogModel("hre")
    with pytest.raises(ValueError, match="`candidates` must be None or"):
        VisualDialogModel(model.backbone, candidates=["yes", "yes"])
    bare = VisualDialogModel(model.backbone, model.preprocessor)
    with pytest.raises(ValueError, match="`candidates` is required"):
        bare.rank_answers(view.images[:1], view.questions[:1], view.histories[:1])


@pytest.mark.slow
def test_reloads_in_a_fresh_process(model, tmp_path):
    model, view = model
    path = str(tmp_path / "dialog.keras")
    images_path = str(tmp_path / "images.npy")
    np.save(images_path, view.images[view.image_index[:2]])
    model.save(path)
    questions, histories = view.questions[:2], view.histories[:2].tolist()
    candidates = [view.candidates] * 2
    ranked, _ = model.rank_answers(
        np.load(images_path), questions, histories, candidates
    )
    output = run_python(
        f"""
        import json, keras, numpy as np
        import keras_rnn_kit.models  # registers the dialog classes
        model = keras.saving.load_model({path!r})
        # No candidates: the reloaded model ranks the ones it was built with.
        ranked, _ = model.rank_answers(np.load({images_path!r}), {questions!r},
                                       {histories!r})
        print(json.dumps(ranked))
        """
    )
    assert json.loads(output.strip().splitlines()[-1]) == ranked
