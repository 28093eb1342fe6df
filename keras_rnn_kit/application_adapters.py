"""Per-application adapters for `keras_rnn_kit.applications`: data, task, metrics.

For each application: `load_<app>(data, tiny, seed) -> TaskData` reads `--data`
or the offline default, `build_<app>(task, tiny)` returns the compiled task,
`evaluate_<app>(model, test)` its task metrics and `predict_<app>(model, inputs,
options)` one output line per command-line input. Visual dialog's history is
one `--history` string, rounds separated by `|` ("what shape is it? circle |
is it red? no").
"""

import dataclasses
import os

import numpy as np
import tensorflow as tf

from keras_rnn_kit.data.delimited_text import FORMATS
from keras_rnn_kit.data.delimited_text import read_labelled_text
from keras_rnn_kit.data.easy_vqa_dataset import easy_vqa_answers
from keras_rnn_kit.data.easy_vqa_dataset import load_easy_vqa
from keras_rnn_kit.data.generated_reviews import generate_reviews
from keras_rnn_kit.data.image_io import check_images
from keras_rnn_kit.data.image_io import load_image
from keras_rnn_kit.data.number_translation import number_translation_splits
from keras_rnn_kit.data.parallel_corpus import read_parallel_tsv
from keras_rnn_kit.data.review_folders import load_review_folders
from keras_rnn_kit.data.scene_generator import SceneGenerator
from keras_rnn_kit.data.scene_generator import scenes_to_vqa_split
from keras_rnn_kit.data.text_pipeline import dataset_texts
from keras_rnn_kit.data.tfds_text import load_tfds_text
from keras_rnn_kit.data.visdial_easy_vqa import dialog_view
from keras_rnn_kit.metrics.caption_metrics import caption_bleu
from keras_rnn_kit.metrics.retrieval import retrieval_metrics
from keras_rnn_kit.models.captioning.captioning_training import build_captioner
from keras_rnn_kit.models.captioning.captioning_training import caption_dataset
from keras_rnn_kit.models.image_encoder import ImageEncoder
from keras_rnn_kit.models.sentiment import SentimentBackbone
from keras_rnn_kit.models.sentiment import SentimentClassifier
from keras_rnn_kit.models.sentiment import SentimentPreprocessor
from keras_rnn_kit.models.translation import TranslationBackbone
from keras_rnn_kit.models.translation import TranslationPreprocessor
from keras_rnn_kit.models.translation import Translator
from keras_rnn_kit.models.translation import evaluate_translator
from keras_rnn_kit.models.visual_dialog import VisualDialogBackbone
from keras_rnn_kit.models.visual_dialog import VisualDialogModel
from keras_rnn_kit.models.visual_dialog import VisualDialogPreprocessor
from keras_rnn_kit.models.visual_dialog.visual_dialog_training import dialog_dataset
from keras_rnn_kit.models.vqa.vqa_training import answer_accuracy
from keras_rnn_kit.models.vqa.vqa_training import build_vqa_model
from keras_rnn_kit.models.vqa.vqa_training import preprocessed_dataset
from keras_rnn_kit.utils.validation import check_choice

# Rounds per easy-VQA dialog (the visual-dialog training helper's default).
DIALOG_ROUNDS = 6


@dataclasses.dataclass
class TaskData:
    """What an application trains and evaluates on.

    Attributes:
        description: one line naming the data (printed by the CLI).
        train: `(x, y[, w])` examples for `training.train` (a `tf.data` set of
            unbatched examples, or numpy arrays).
        test: the raw held-out split the application's `evaluate` reads.
        raw_train: the raw training split (vocabularies are built from it).
    """

    description: str
    train: object
    test: object
    raw_train: object


# --- translation ------------------------------------------------------------


def load_translation(data, tiny, seed):
    if data is None:
        splits = number_translation_splits(
            0.1, seed=seed, max_number=299 if tiny else 9999
        )
        description = "generated zh->en numbers task"
    else:
        pairs = read_parallel_tsv(data)
        if len(pairs) < 2:
            raise ValueError(
                f"`--data` must hold at least 2 source<TAB>target lines, got "
                f"{len(pairs)} in {data!r}."
            )
        cut = len(pairs) - max(1, len(pairs) // 10)
        column = list(zip(*pairs, strict=True))
        splits = {
            "train": (list(column[0][:cut]), list(column[1][:cut])),
            "held_out": (list(column[0][cut:]), list(column[1][cut:])),
        }
        description = f"parallel TSV {data!r}"
    preprocessor = TranslationPreprocessor.from_corpus(*splits["train"])
    examples = _sized(
        preprocessor.make_dataset(*splits["train"], seed=seed), len(splits["train"][0])
    )
    return TaskData(
        f"{description}: {len(splits['train'][0])} training pairs, "
        f"{len(splits['held_out'][0])} held out",
        examples,
        splits["held_out"],
        preprocessor,
    )


def _sized(batches, count):
    """Unbatches `batches`; restating the size lets `fit` know where epochs end."""
    return batches.unbatch().apply(tf.data.experimental.assert_cardinality(count))


def build_translation(task, tiny):
    preprocessor = task.raw_train
    backbone = TranslationBackbone(
        len(preprocessor.source_vocabulary),
        len(preprocessor.target_vocabulary),
        embedding_dim=8 if tiny else 32,
        units=16 if tiny else 64,
    )
    translator = Translator(backbone, preprocessor)
    translator.compile()
    return translator


def evaluate_translation(model, test):
    return evaluate_translator(model, *test)


def predict_translation(model, inputs, options):
    outputs = model.translate(list(inputs), beam_width=options.get("beam_width", 1))
    return [f"{s}\t{t}" for s, t in zip(inputs, outputs, strict=True)]


# --- visual question answering ----------------------------------------------


def load_vqa(data, tiny, seed):
    data = data or "easy_vqa"
    check_choice("data", data, ("easy_vqa", "scenes"))
    if data == "easy_vqa":
        cap = 32 if tiny else None
        train = load_easy_vqa("train", max_images=cap)
        test = load_easy_vqa("test", max_images=cap and cap // 4)
    else:
        count = 64 if tiny else 2000
        generator = SceneGenerator(image_size=64, seed=seed)
        scenes = generator.generate(count + count // 4)
        vocabulary = generator.answer_vocabulary()
        train = scenes_to_vqa_split(scenes[:count], vocabulary)
        test = scenes_to_vqa_split(scenes[count:], vocabulary)
    description = f"{data}: {len(train)} training questions, {len(test)} test"
    return TaskData(description, None, test, train)


def build_vqa(task, tiny):
    return build_vqa_model(task.raw_train, quick=tiny, image_size=32 if tiny else None)


def vqa_examples(model, train):
    return _sized(preprocessed_dataset(model, train, 1024, shuffle=True), len(train))


def evaluate_vqa(model, test):
    return {"accuracy": answer_accuracy(model, test)}


def _load_images(model, paths):
    """The image files `paths` as one float batch at the model's image size. Each
    file may have its own size: it is scaled to [0, 1] and resized bilinearly with
    `tf.image.resize`, as the exported serving graphs do."""
    size = model.backbone.image_size
    return np.concatenate([check_images(load_image(p)[None], size) for p in paths])


def predict_vqa(model, inputs, options):
    question = options.get("question")
    if not question:
        raise ValueError(
            "`--question` is required for vqa: rnnkit predict vqa MODEL.keras "
            '--question "what color is the shape?" IMAGE.png'
        )
    images = _load_images(model, inputs)
    answers, scores = model.answer(images, [question] * len(inputs))
    return [
        f"{path}\t{answer}\t{score:.3f}"
        for path, answer, score in zip(inputs, answers, scores, strict=True)
    ]


# --- sentiment ----------------------------------------------------------------

def _names_a_file(data):
    """Whether `--data` is meant as a path rather than a tfds name (which has no
    leading `/`, `.` or `~` and no file extension)."""
    extension = os.path.splitext(data)[1].lower()
    return data.startswith(("/", ".", "~")) or extension in (*FORMATS, ".txt")


def load_sentiment(data, tiny, seed):
    if data is None:
        texts, labels = generate_reviews(256 if tiny else 4000, seed=seed)
        cut = int(0.8 * len(texts))
        return TaskData(
            f"generated reviews: {cut} training, {len(texts) - cut} test",
            (np.array(texts[:cut]), labels[:cut]),
            (texts[cut:], labels[cut:]),
            texts[:cut],
        )
    if os.path.isfile(data):
        texts, labels = read_labelled_text(data, "text", "label")
        cut = int(0.8 * len(texts))
        labels = np.asarray(labels, "int32")
        return TaskData(
            f"{data!r}: {cut} training texts, {len(texts) - cut} test",
            (np.array(texts[:cut]), labels[:cut]),
            (texts[cut:], labels[cut:]),
            texts[:cut],
        )
    if os.path.isdir(data):
        train, test = (load_review_folders(data, s) for s in ("train", "test"))
    elif _names_a_file(data):
        raise FileNotFoundError(
            f"`--data` names a file or folder that does not exist: {data!r}. "
            "Give an existing CSV/TSV/JSONL file, an aclImdb folder, or a "
            "tensorflow-datasets name such as imdb_reviews."
        )
    else:
        train, test = (
            load_tfds_text(data, s, text_keys="text", label_key="label")
            for s in ("train", "test")
        )
    test_pairs = [(t.numpy(), y.numpy()) for t, y in test.unbatch()]
    return TaskData(
        f"{data!r} (aclImdb folder or tfds name)",
        train.unbatch(),
        (
            [t.decode("utf-8") for t, _ in test_pairs],
            np.array([y for _, y in test_pairs]),
        ),
        list(dataset_texts(train)),
    )


def build_sentiment(task, tiny):
    preprocessor = SentimentPreprocessor.from_texts(
        task.raw_train, sequence_length=16 if tiny else 40
    )
    backbone = SentimentBackbone(
        len(preprocessor.vocabulary),
        8 if tiny else 32,
        units=8 if tiny else 32,
        num_layers=1,
    )
    model = SentimentClassifier(
        backbone, preprocessor=preprocessor, class_names=["negative", "positive"]
    )
    model.compile()
    return model


def evaluate_sentiment(model, test):
    texts, labels = test
    predicted = model.predict_text(list(texts)).label_ids
    return {"accuracy": float(np.mean(predicted == np.asarray(labels)))}


def predict_sentiment(model, inputs, options):
    prediction = model.predict_text(list(inputs))
    return [
        f"{label}\t{probabilities.max():.3f}\t{text}"
        for text, label, probabilities in zip(
            inputs, prediction.labels, prediction.probabilities, strict=True
        )
    ]


# --- captioning ---------------------------------------------------------------


def load_captioning(data, tiny, seed):
    check_choice("data", data or "scenes", ("scenes",))
    count = 64 if tiny else 3000
    generator = SceneGenerator(image_size=32, max_objects=2, seed=seed)
    scenes = generator.generate(count + count // 4)
    train, test = scenes[:count], scenes[count:]
    return TaskData(
        f"generated scenes: {len(train)} training, {len(test)} test",
        None,
        (np.stack([s.image for s in test]), [s.caption for s in test]),
        (np.stack([s.image for s in train]), [s.caption for s in train]),
    )


def build_captioning(task, tiny):
    return build_captioner(
        task.raw_train[1],
        image_size=32,
        units=16 if tiny else 64,
        filters=(8, 16) if tiny else (16, 32),
    )


def captioning_examples(model, train):
    images, captions = train
    batches = caption_dataset(model.preprocessor, images, captions, 1024, True)
    return _sized(batches, len(captions))


def evaluate_captioning(model, test):
    images, captions = test
    return caption_bleu(model.caption(images), [[c] for c in captions])


def predict_captioning(model, inputs, options):
    images = _load_images(model, inputs)
    captions = model.caption(images, beam_width=options.get("beam_width", 1))
    return [
        f"{path}\t{caption}" for path, caption in zip(inputs, captions, strict=True)
    ]


# --- visual dialog ------------------------------------------------------------


def load_visual_dialog(data, tiny, seed):
    check_choice("data", data or "easy_vqa", ("easy_vqa",))
    cap = 16 if tiny else None
    train = dialog_view(load_easy_vqa("train", max_images=cap), DIALOG_ROUNDS)
    test = dialog_view(
        load_easy_vqa("test", max_images=cap and cap // 4), DIALOG_ROUNDS
    )
    return TaskData(
        f"easy_vqa dialogs: {len(train)} training rounds, {len(test)} test",
        None,
        test,
        train,
    )


def build_visual_dialog(task, tiny):
    image_size = 32 if tiny else 64
    preprocessor = VisualDialogPreprocessor.from_dialogs(
        task.raw_train, image_size=image_size, lengths_from=[task.test]
    )
    units = 8 if tiny else 64
    backbone = VisualDialogBackbone(
        preprocessor.vocabulary_size,
        encoder="hre",
        embedding_dim=units // 2,
        units=units,
        image_encoder=ImageEncoder(
            filters=(8, 16) if tiny else (16, 32, 64), image_size=image_size
        ),
        image_size=image_size,
        answer_length=preprocessor.answer_length,
    )
    model = VisualDialogModel(backbone, preprocessor)
    model.compile()
    return model


def visual_dialog_examples(model, train):
    return _sized(dialog_dataset(model, train, 1024, shuffle=True), len(train))


def evaluate_visual_dialog(model, test):
    scores = model.predict(dialog_dataset(model, test, 256, shuffle=False), verbose=0)
    return retrieval_metrics(np.asarray(scores), test.answer_ids)


def predict_visual_dialog(model, inputs, options):
    question = options.get("question")
    if not question:
        raise ValueError(
            "`--question` is required for visual-dialog: rnnkit predict "
            'visual-dialog MODEL.keras --question "what color is it?" --history '
            '"what shape is it? circle" IMAGE.png'
        )
    rounds = [r.strip() for r in options.get("history", "").split("|") if r.strip()]
    candidates = easy_vqa_answers()
    ranked, _ = model.rank_answers(
        _load_images(model, inputs),
        [question] * len(inputs),
        [rounds or [""]] * len(inputs),
        [candidates] * len(inputs),
    )
    return [
        f"{path}\t{best[0]}\t{', '.join(best[:3])}"
        for path, best in zip(inputs, ranked, strict=True)
    ]
