"""The vision-and-language applications export: SavedModel on raw image bytes and
strings, TFLite on batch-1 numbers.

A VQA model, a captioner (trained a few seconds so that its captions differ per
image) and an HRE visual dialog model are exported once per module and checked
with `verify_export` (float32 within 1e-5 of Keras, relative to
max(1, max |output|)), against their Keras inference APIs (`answer`, `caption`,
`rank_answers`) on PNG bytes, in a fresh process that cannot import keras, and,
for TFLite, from the outside: pure-Python tokenization with the exported JSON
assets, `TFLiteRunner` greedy and beam captions, and a per-candidate dialog loop.
"""

import io
import json

import keras
import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from keras_rnn_kit.data.image_io import load_image
from keras_rnn_kit.data.scene_generator import SceneGenerator
from keras_rnn_kit.data.text_rules import TextEncoder
from keras_rnn_kit.export import TFLiteRunner
from keras_rnn_kit.export import export_saved_model
from keras_rnn_kit.export import export_tflite
from keras_rnn_kit.export import list_saved_model_ops
from keras_rnn_kit.export import verify_export
from keras_rnn_kit.models.captioning.captioning_training import build_captioner
from keras_rnn_kit.models.captioning.captioning_training import caption_dataset
from keras_rnn_kit.models.image_encoder import ImageEncoder
from keras_rnn_kit.models.visual_dialog import VisualDialogModel
from keras_rnn_kit.models.visual_dialog.visual_dialog_export import MAX_HISTORY_ROUNDS
from keras_rnn_kit.models.vqa import VQABackbone
from keras_rnn_kit.models.vqa import VQAModel
from keras_rnn_kit.models.vqa import VQAPreprocessor
from tests.models.visual_dialog.dialog_fixtures import tiny_dialog_model
from tests.test_case import run_python

SIZE = 16
QUESTIONS = ["what color is the shape?", "is there a circle?", "what shape is it"]
EDGE_QUESTIONS = ["", "zzz qqq", "IS THERE A CIRCLE??"]
ANSWERS = ["yes", "no", "red", "blue", "circle"]
DIALOG_TEXTS = ["is it red", "is it red yes", "yes", "no", "what shape", "circle"]
DIALOG_QUESTIONS = ["is it red", "what shape", "yes", "", "zzz", "is it red"]
HISTORIES = [
    ["", ""],
    ["is it red yes", ""],
    ["is it red yes", "what shape circle"],
    ["", "what shape circle"],
    ["zzz", ""],
    ["no", "yes"],
]
CANDIDATES = [["yes", "no", "circle"], ["circle", "yes", ""]] * 3
# Core ops the byte-serving graphs must contain, and kernels stock TF Serving lacks.
CORE_IMAGE_OPS = {"DecodeImage", "ResizeBilinear"}
BANNED_OPS = ("Wordpiece", "Sentencepiece", "RegexSplit", "PyFunc", "Cudnn")


def png_bytes(image):
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="PNG")
    return buffer.getvalue()


def jpeg_bytes(image):
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


def as_bytes_array(images):
    return np.array([png_bytes(image) for image in images], dtype=object)


def assert_core_ops(saved_model_path):
    ops = list_saved_model_ops(saved_model_path)
    assert CORE_IMAGE_OPS <= set(ops)
    assert not [op for op in ops if any(bad in op for bad in BANNED_OPS)]


@pytest.fixture(scope="module")
def images():
    """Six 16x16 scenes, `uint8` (PNG bytes decode to exactly these pixels)."""
    scenes = SceneGenerator(image_size=SIZE, max_objects=1, seed=3).generate(6)
    return np.stack([s.image for s in scenes])


@pytest.fixture(scope="module")
def vqa_model():
    keras.utils.set_random_seed(2)
    pre = VQAPreprocessor.from_questions(
        QUESTIONS, image_size=SIZE, sequence_length=6, overflow="truncate"
    )
    backbone = VQABackbone(
        pre.vocabulary_size,
        embedding_dim=4,
        hidden_dim=8,
        num_layers=2,
        fusion_dim=8,
        image_size=SIZE,
        pooling="max",
        image_encoder=ImageEncoder(filters=(4,), image_size=SIZE),
    )
    return VQAModel(backbone, ANSWERS, preprocessor=pre, hidden_dim=8, dropout=0.0)


@pytest.fixture(scope="module")
def vqa_files(vqa_model, tmp_path_factory):
    folder = tmp_path_factory.mktemp("vqa")
    return {
        "saved_model": export_saved_model(vqa_model, folder / "vqa"),
        "tflite": export_tflite(vqa_model, folder / "vqa.tflite"),
        "assets": vqa_model.export_text_assets(folder / "vqa.json"),
    }


@pytest.fixture(scope="module")
def captioner():
    """Trained 6 epochs on 160 one-object scenes: captions depend on the image."""
    keras.utils.set_random_seed(4)
    scenes = SceneGenerator(image_size=SIZE, max_objects=1, seed=5).generate(160)
    captions = [s.caption for s in scenes]
    model = build_captioner(captions, SIZE, units=16, filters=(4, 8))
    model.compile(optimizer=keras.optimizers.Adam(1e-2))
    data = caption_dataset(
        model.preprocessor, np.stack([s.image for s in scenes]), captions, 32, True
    )
    model.fit(data, epochs=6, verbose=0)
    return model


@pytest.fixture(scope="module")
def captioner_files(captioner, tmp_path_factory):
    folder = tmp_path_factory.mktemp("captioner")
    return {
        "saved_model": export_saved_model(captioner, folder / "captioner"),
        "tflite": export_tflite(captioner, folder / "captioner.tflite"),
        "assets": captioner.export_text_assets(folder / "captioner.json"),
    }


@pytest.fixture(scope="module")
def dialog_model():
    keras.utils.set_random_seed(6)
    return tiny_dialog_model(DIALOG_TEXTS, SIZE, units=8, overflow="truncate")


@pytest.fixture(scope="module")
def dialog_files(dialog_model, tmp_path_factory):
    folder = tmp_path_factory.mktemp("dialog")
    return {
        "saved_model": export_saved_model(dialog_model, folder / "dialog"),
        "tflite": export_tflite(dialog_model, folder / "dialog.tflite"),
        "assets": dialog_model.export_text_assets(folder / "dialog.json"),
    }


def python_token_ids(settings, text):
    """Text -> `(1, sequence_length)` ids with no TensorFlow: the device's view."""
    return np.array([TextEncoder(settings).encode(text)], dtype=np.int32)


def dialog_inputs(count):
    return {
        "question": np.array(DIALOG_QUESTIONS[:count], dtype=object),
        "history": np.array(HISTORIES[:count], dtype=object),
        "candidates": np.array(CANDIDATES[:count], dtype=object),
    }


@pytest.mark.slow
def test_vqa_saved_model_answers_image_bytes_like_answer(vqa_model, vqa_files, images):
    questions = QUESTIONS + EDGE_QUESTIONS
    samples = {"image_bytes": as_bytes_array(images), "question": np.array(questions)}
    report = verify_export(vqa_model, vqa_files["saved_model"], samples, repeats=2)
    assert report["passed"] and report["max_abs_diff"] <= 1e-5
    assert_core_ops(vqa_files["saved_model"])
    served = tf.saved_model.load(vqa_files["saved_model"]).signatures
    outputs = served["serving_default"](
        image_bytes=tf.constant(samples["image_bytes"]), question=tf.constant(questions)
    )
    answers, scores = vqa_model.answer(images, questions)
    assert [a.decode() for a in outputs["answer"].numpy()] == answers
    np.testing.assert_allclose(outputs["score"].numpy(), scores, atol=1e-5)
    assert outputs["probabilities"].shape == (len(questions), len(ANSWERS))
    # JPEG bytes serve like the pixels Pillow decodes from them.
    jpegs = [jpeg_bytes(image) for image in images]
    outputs = served["serving_default"](
        image_bytes=tf.constant(jpegs), question=tf.constant(questions)
    )
    pixels = np.stack([load_image(blob) for blob in jpegs])
    probabilities = np.asarray(
        keras.ops.softmax(
            vqa_model(
                vqa_model.preprocessor({"images": pixels, "questions": questions})
            )
        )
    )
    np.testing.assert_allclose(outputs["probabilities"], probabilities, atol=1e-5)


@pytest.mark.slow
def test_vqa_tflite_with_python_tokenization_matches_answer(
    vqa_model, vqa_files, images
):
    x = vqa_model.preprocessor({"images": images, "questions": QUESTIONS * 2})
    samples = {
        "images": np.asarray(x["images"]),
        "token_ids": np.asarray(x["token_ids"]),
    }
    report = verify_export(vqa_model, vqa_files["tflite"], samples, repeats=2)
    assert report["passed"], report["per_output"]
    print(
        f"vqa: tflite {report['size_bytes']:,} bytes, "
        f"max |diff| {report['max_abs_diff']:.3g}"
    )
    with open(vqa_files["assets"], encoding="utf-8") as f:
        assets = json.load(f)
    assert assets["answers"] == ANSWERS and assets["image_size"] == SIZE
    runner = TFLiteRunner(vqa_files["tflite"])
    questions = QUESTIONS + EDGE_QUESTIONS
    probabilities = np.concatenate(
        [
            runner.run(
                images=(image[None] / 255.0).astype("float32"),
                token_ids=python_token_ids(assets, question),
            )["probabilities"]
            for image, question in zip(images, questions, strict=True)
        ]
    )
    answers, scores = vqa_model.answer(images, questions)
    assert [assets["answers"][i] for i in probabilities.argmax(-1)] == answers
    np.testing.assert_allclose(probabilities.max(-1), scores, atol=1e-5)
    # LiteRT would resize the fixed image axes and answer a 32x32 image.
    token_ids = python_token_ids(assets, QUESTIONS[0])
    with pytest.raises(
        ValueError,
        match=r"'images' has shape \(None, 16, 16, 3\) .* got \(1, 32, 32, 3\)",
    ):
        runner.run(images=np.zeros((1, 32, 32, 3), "float32"), token_ids=token_ids)
    with pytest.raises(ValueError, match="'images' takes float32; got uint8"):
        runner.run(images=images[:1], token_ids=token_ids)


@pytest.mark.slow
def test_captioner_saved_model_greedy_and_beam_parity(
    captioner, captioner_files, images
):
    samples = as_bytes_array(images)
    for signature, width in (("serving_default", 1), ("beam_search", 3)):
        report = verify_export(
            captioner, captioner_files["saved_model"], samples, signature, repeats=2
        )
        assert report["passed"], (signature, report["per_output"])
        assert report["max_abs_diff"] == 0
        served = tf.saved_model.load(captioner_files["saved_model"])
        outputs = served.signatures[signature](image_bytes=tf.constant(samples))
        got = [c.decode() for c in outputs["caption"].numpy()]
        assert got == captioner.caption(images, beam_width=width)
    assert_core_ops(captioner_files["saved_model"])


@pytest.mark.slow
def test_captioner_tflite_runner_decodes_like_caption(
    captioner, captioner_files, images
):
    floats = np.asarray(captioner.preprocessor.preprocess_images(images))
    report = verify_export(
        captioner, captioner_files["tflite"], {"images": floats}, "encode", repeats=2
    )
    assert report["passed"], report["per_output"]
    with open(captioner_files["assets"], encoding="utf-8") as f:
        assets = json.load(f)
    runner = TFLiteRunner(captioner_files["tflite"])
    greedy = captioner.caption(images, beam_width=1)
    beam = captioner.caption(images, beam_width=3)
    # A trained captioner: its captions tell the scenes apart.
    assert len(set(greedy)) >= 3
    max_length = assets["sequence_length"] - 1
    words = assets["vocabulary"]
    for row, floats_row in enumerate(floats):
        inputs = {"images": floats_row[None]}
        ids = runner.greedy_decode(
            inputs, assets["go_id"], assets["eos_id"], max_length
        )
        assert " ".join(words[i] for i in ids) == greedy[row]
        (ids, _), *_ = runner.beam_decode(
            inputs, assets["go_id"], assets["eos_id"], max_length, beam_size=3
        )
        assert " ".join(words[i] for i in ids) == beam[row]
    print(
        f"captioner: tflite {report['size_bytes']:,} bytes, encode max |diff| "
        f"{report['max_abs_diff']:.3g}; greedy {greedy[:2]}"
    )


@pytest.mark.slow
def test_dialog_saved_model_scores_and_ranks_raw_inputs(
    dialog_model, dialog_files, images
):
    samples = {"image_bytes": as_bytes_array(images), **dialog_inputs(6)}
    report = verify_export(
        dialog_model, dialog_files["saved_model"], samples, repeats=2
    )
    assert report["passed"], report["per_output"]
    assert_core_ops(dialog_files["saved_model"])
    served = tf.saved_model.load(dialog_files["saved_model"]).signatures
    outputs = served["serving_default"](
        **{k: tf.constant(v) for k, v in samples.items()}
    )
    ranked, scores = dialog_model.rank_answers(
        images, DIALOG_QUESTIONS, HISTORIES, CANDIDATES
    )
    np.testing.assert_allclose(outputs["scores"].numpy(), scores, atol=1e-5)
    order = outputs["ranking"].numpy()
    assert [[CANDIDATES[r][i] for i in row] for r, row in enumerate(order)] == ranked
    assert [b.decode() for b in outputs["best_answer"].numpy()] == [
        row[0] for row in ranked
    ]


def _tflite_scores(runner, assets, encoding, candidates):
    """The TFLite `score` signature's score of each candidate for `encoding`."""
    return [
        runner.run(
            "score",
            encoding=encoding,
            candidate_token_ids=python_token_ids(assets["answer"], candidate),
        )["score"][0]
        for candidate in candidates
    ]


@pytest.mark.slow
def test_dialog_tflite_candidate_loop_matches_rank_answers(
    dialog_model, dialog_files, images
):
    with open(dialog_files["assets"], encoding="utf-8") as f:
        assets = json.load(f)
    runner = TFLiteRunner(dialog_files["tflite"])
    _, want = dialog_model.rank_answers(images, DIALOG_QUESTIONS, HISTORIES, CANDIDATES)
    for row, image in enumerate(images):
        # History padded with empty rounds to the signature's rounds.
        rounds = HISTORIES[row] + [""] * (MAX_HISTORY_ROUNDS - len(HISTORIES[row]))
        history = np.concatenate(
            [python_token_ids(assets["history"], h) for h in rounds]
        )
        encoding = runner.run(
            "encode",
            images=(image[None] / 255.0).astype("float32"),
            token_ids=python_token_ids(assets["question"], DIALOG_QUESTIONS[row]),
            history_token_ids=history[None],
        )["encoding"]
        scores = _tflite_scores(runner, assets, encoding, CANDIDATES[row])
        np.testing.assert_allclose(scores, want[row], atol=1e-5)
        assert np.argmax(scores) == np.argmax(want[row])
    x = dialog_model.preprocessor(
        {
            "images": images,
            "questions": DIALOG_QUESTIONS,
            "histories": [h + [""] * (MAX_HISTORY_ROUNDS - 2) for h in HISTORIES],
            "candidates": CANDIDATES,
        }
    )
    names = ("images", "token_ids", "history_token_ids")
    report = verify_export(
        dialog_model,
        dialog_files["tflite"],
        {k: np.asarray(x[k]) for k in names},
        "encode",
        repeats=2,
    )
    assert report["passed"], report["per_output"]
    print(
        f"dialog: tflite {report['size_bytes']:,} bytes, encode max |diff| "
        f"{report['max_abs_diff']:.3g}, score spread {np.ptp(want):.3g}"
    )


@pytest.mark.slow
def test_dialog_exports_take_the_same_most_history_rounds(
    dialog_model, dialog_files, images
):
    most, question, candidates = MAX_HISTORY_ROUNDS, "is it red", CANDIDATES[0]
    history = ["is it red yes", "what shape circle", "no"] * most
    history = history[:most]
    _, want = dialog_model.rank_answers(images[:1], [question], [history], [candidates])
    _, blank = dialog_model.rank_answers(images[:1], [question], [[""]], [candidates])
    assert not np.allclose(want, blank, rtol=1e-3, atol=0), "history must count"
    # SavedModel: `most` rounds are scored as in Keras, one more is refused.
    served = tf.saved_model.load(dialog_files["saved_model"]).signatures

    def serve(rounds):
        return served["serving_default"](
            image_bytes=tf.constant(as_bytes_array(images[:1])),
            question=tf.constant([question]),
            history=tf.constant([rounds]),
            candidates=tf.constant([candidates]),
        )["scores"].numpy()

    np.testing.assert_allclose(serve(history), want, rtol=1e-4, atol=1e-9)
    with pytest.raises(
        tf.errors.InvalidArgumentError,
        match=f"`history` has more than {most} rounds",
    ):
        serve(history + ["no"])
    # TFLite: `encode` takes exactly `most` rounds; one more is refused before
    # LiteRT sees it.
    with open(dialog_files["assets"], encoding="utf-8") as f:
        assets = json.load(f)
    runner = TFLiteRunner(dialog_files["tflite"])
    assert runner.input_specs("encode")["history_token_ids"][0] == (None, most, None)
    rounds = np.concatenate([python_token_ids(assets["history"], h) for h in history])
    inputs = {
        "images": (images[:1] / 255.0).astype("float32"),
        "token_ids": python_token_ids(assets["question"], question),
        "history_token_ids": rounds[None],
    }
    encoding = runner.run("encode", **inputs)["encoding"]
    scores = _tflite_scores(runner, assets, encoding, candidates)
    np.testing.assert_allclose(scores, want[0], rtol=1e-4, atol=1e-9)
    one_more = np.concatenate([rounds, python_token_ids(assets["history"], "no")])
    with pytest.raises(
        ValueError,
        match=rf"'history_token_ids' has shape \(None, {most}, None\) .* "
        rf"got \(1, {most + 1}, {assets['history']['sequence_length']}\)",
    ):
        runner.run("encode", **{**inputs, "history_token_ids": one_more[None]})
    # Any batch: rows run one after another inside the signature.
    doubled = {k: np.repeat(v, 2, axis=0) for k, v in inputs.items()}
    np.testing.assert_allclose(
        runner.run("encode", **doubled)["encoding"],
        np.repeat(encoding, 2, axis=0),
        atol=1e-6,
    )


def test_bare_models_refuse_raw_signatures_and_assets(
    vqa_model, captioner, dialog_model, tmp_path
):
    bare = [
        VQAModel(vqa_model.backbone, ANSWERS),
        type(captioner)(captioner.backbone),
        VisualDialogModel(dialog_model.backbone),
    ]
    for model in bare:
        with pytest.raises(ValueError, match="preprocessor"):
            model.serving_signatures()
        with pytest.raises(ValueError, match="preprocessor"):
            model.export_text_assets(tmp_path / "bare.json")
    with pytest.raises(ValueError, match=r"`path` must name a \.json file"):
        vqa_model.export_text_assets(tmp_path / "assets.txt")
    with pytest.raises(ValueError, match="max_rounds"):
        dialog_model.tflite_signatures(max_rounds=0)
    with pytest.raises(ValueError, match="at most MAX_HISTORY_ROUNDS"):
        dialog_model.tflite_signatures(max_rounds=MAX_HISTORY_ROUNDS + 1)


@pytest.mark.slow
def test_fresh_process_without_keras_serves_the_three_saved_models(
    vqa_model,
    vqa_files,
    captioner,
    captioner_files,
    dialog_model,
    dialog_files,
    images,
    tmp_path,
):
    image_bytes = list(as_bytes_array(images))
    dialog = {k: v.tolist() for k, v in dialog_inputs(6).items()}
    out = tmp_path / "served.npz"
    run_python(
        f"""
        import sys
        BANNED = ("keras", "keras_rnn_kit", "tensorflow_text")
        sys.modules.update(dict.fromkeys(BANNED))
        import numpy as np
        import tensorflow as tf
        load = lambda path: tf.saved_model.load(path).signatures
        image_bytes = tf.constant({image_bytes!r})
        vqa = load({vqa_files["saved_model"]!r})["serving_default"](
            image_bytes=image_bytes, question=tf.constant({QUESTIONS * 2!r}))
        captioner = load({captioner_files["saved_model"]!r})
        greedy = captioner["serving_default"](image_bytes=image_bytes)
        beam = captioner["beam_search"](image_bytes=image_bytes)
        dialog = load({dialog_files["saved_model"]!r})["serving_default"](
            image_bytes=image_bytes,
            **{{k: tf.constant(v) for k, v in {dialog!r}.items()}})
        text = lambda t: np.array([s.decode() for s in t.numpy()])
        np.savez({str(out)!r}, answer=text(vqa["answer"]), score=vqa["score"].numpy(),
                 greedy=text(greedy["caption"]), beam=text(beam["caption"]),
                 scores=dialog["scores"].numpy())
        loaded = [m for m, module in sys.modules.items()
                  if m.split(".")[0] in BANNED and module is not None]
        assert not loaded, loaded
        """
    )
    served = np.load(out)
    answers, scores = vqa_model.answer(images, QUESTIONS * 2)
    assert served["answer"].tolist() == answers
    np.testing.assert_allclose(served["score"], scores, atol=1e-5)
    assert served["greedy"].tolist() == captioner.caption(images, beam_width=1)
    assert served["beam"].tolist() == captioner.caption(images, beam_width=3)
    _, want = dialog_model.rank_answers(images, DIALOG_QUESTIONS, HISTORIES, CANDIDATES)
    np.testing.assert_allclose(served["scores"], want, atol=1e-5)
