"""Per-application adapters for `keras_rnn_kit.applications`: data, task, metrics.

For each application: `load_<app>(data, tiny, seed) -> TaskData` reads `--data`
or the offline default, `build_<app>(task, tiny)` returns the compiled task,
`evaluate_<app>(model, test)` its task metrics and `predict_<app>(model, inputs,
options)` one output line per command-line input. Visual dialog's history is
one `--history` string, rounds separated by `|` ("what shape is it? circle |
is it red? no").

Sentiment and translation also read a user's own file; their loaders take
`test_data`, `validation_split` and `sequence_length`. A file is split seeded,
shuffled and (by label) stratified (`keras_rnn_kit.data.splits`), its degenerate
cases (one class, too few of one, sorted labels) are named, and `TaskData.notes`
reports what the chosen sequence length truncates.
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
from keras_rnn_kit.data.splits import split_indices
from keras_rnn_kit.data.text_tokenizer import TextTokenizer
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
from keras_rnn_kit.models.translation import TranslationPreprocessor
from keras_rnn_kit.models.translation import evaluate_translator
from keras_rnn_kit.models.translation import translation_recipe
from keras_rnn_kit.models.visual_dialog import VisualDialogBackbone
from keras_rnn_kit.models.visual_dialog import VisualDialogModel
from keras_rnn_kit.models.visual_dialog import VisualDialogPreprocessor
from keras_rnn_kit.models.visual_dialog.visual_dialog_training import dialog_dataset
from keras_rnn_kit.models.vqa import vqa_training
from keras_rnn_kit.models.vqa.vqa_training import answer_accuracy
from keras_rnn_kit.models.vqa.vqa_training import build_vqa_model
from keras_rnn_kit.models.vqa.vqa_training import preprocessed_dataset
from keras_rnn_kit.utils.validation import check_choice
from keras_rnn_kit.utils.validation import check_fraction
from keras_rnn_kit.utils.validation import check_positive_int

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
        notes: lines the CLI prints after `description`: what the data checks
            found and the settings chosen from the data.
        settings: choices that `build` reads: made from the data (sentiment:
            `sequence_length`; vqa: `image_size`), and the run's `epochs` and
            `batch_size` (set by `train_application` before it builds).
    """

    description: str
    train: object
    test: object
    raw_train: object
    notes: list = dataclasses.field(default_factory=list)
    settings: dict = dataclasses.field(default_factory=dict)


# --- user text files (sentiment, translation) -----------------------------


def _test_fraction(validation_split, default):
    """`--validation-split` (the share of `--data` held out), or `default`."""
    if validation_split is None:
        return default
    return check_fraction("--validation-split", validation_split)


def _no_test_data(test_data, default):
    if test_data is not None:
        raise ValueError(
            f"`--test-data` {test_data!r} needs a `--data` file to train on; "
            f"{default} has its own held-out split."
        )


def _token_counts(tokenizer, texts, batch_size=1024):
    """Tokens per text as `tokenizer` counts them (its graph path, in batches)."""
    counts = [
        tokenizer.tokenize(list(texts[i : i + batch_size])).row_lengths().numpy()
        for i in range(0, len(texts), batch_size)
    ]
    return np.concatenate(counts) if counts else np.zeros(0, "int64")


def _length_notes(setting, train_fits, test_fits, unit, test_name, fix):
    """The coverage line (`"sequence_length 118 covers 95.0% of training texts;
    41 of 868 test texts (4.7%) are truncated"`) and a warning below 50%."""
    covered = float(np.mean(train_fits))
    total = len(test_fits)
    cut = total - int(np.count_nonzero(test_fits))
    notes = [
        f"{setting} covers {covered:.1%} of training {unit}; {cut:,} of {total:,} "
        f"{test_name} {unit} ({cut / max(total, 1):.1%}) are truncated"
    ]
    if covered < 0.5:
        notes.append(
            f"warning: {setting} cuts most training {unit} short (it covers "
            f"{covered:.1%}); {fix}"
        )
    return notes


# --- translation ------------------------------------------------------------

# The share of a `--data` TSV held out without `--test-data` (sentiment holds out
# `SENTIMENT_TEST_FRACTION` of its file).
TRANSLATION_TEST_FRACTION = 0.1


def load_translation(
    data, tiny, seed, test_data=None, validation_split=None, sequence_length=None
):
    fraction = _test_fraction(validation_split, TRANSLATION_TEST_FRACTION)
    if data is None:
        _no_test_data(test_data, "the generated numbers task")
        splits = number_translation_splits(
            fraction, seed=seed, max_number=299 if tiny else 9999
        )
        description = "generated zh->en numbers task"
    else:
        splits = _parallel_splits(data, test_data, fraction, seed)
        description = f"parallel TSV {data!r}"
        if test_data is not None:
            description += f", held out {test_data!r}"
    lengths = {}
    if sequence_length is not None:
        check_positive_int("sequence_length", sequence_length)
        lengths = {
            "source_sequence_length": sequence_length,
            "target_sequence_length": sequence_length + 1,
        }
    # A user's held-out (or predicted) sentence may outgrow every training one.
    user_lengths = data is not None or sequence_length is not None
    preprocessor = TranslationPreprocessor.from_corpus(
        *splits["train"], **lengths, overflow="truncate" if user_lengths else "error"
    )
    examples = _sized(
        preprocessor.make_dataset(*splits["train"], seed=seed), len(splits["train"][0])
    )
    return TaskData(
        f"{description}: {len(splits['train'][0]):,} training pairs, "
        f"{len(splits['held_out'][0]):,} held out",
        examples,
        splits["held_out"],
        preprocessor,
        _translation_length_notes(preprocessor, splits, sequence_length)
        if user_lengths
        else [],
    )


def _parallel_splits(data, test_data, fraction, seed):
    """`{"train", "held_out"}` `(sources, targets)`: a seeded shuffled split of
    `--data`, or all of it (shuffled) with `--test-data` held out."""
    pairs = read_parallel_tsv(data)
    if len(pairs) < (1 if test_data else 2):
        raise ValueError(
            f"`--data` must hold at least {1 if test_data else 2} source<TAB>target "
            f"lines, got {len(pairs)} in {data!r}."
        )
    if test_data is None:
        train, held = split_indices(len(pairs), fraction, seed)
        held_pairs = [pairs[i] for i in held]
    else:
        train = np.random.default_rng(seed).permutation(len(pairs))
        held_pairs = read_parallel_tsv(test_data)
        if not held_pairs:
            raise ValueError(
                f"`--test-data` {test_data!r} holds no source<TAB>target lines."
            )
    train_pairs = [pairs[i] for i in train]
    return {
        name: tuple(list(column) for column in zip(*rows, strict=True))
        for name, rows in (("train", train_pairs), ("held_out", held_pairs))
    }


def _translation_length_notes(preprocessor, splits, sequence_length):
    """What the source/target lengths cover; pairs longer on either side are cut."""
    source = preprocessor.source_preprocessor
    target = preprocessor.target_preprocessor
    source_room = source.sequence_length
    target_room = target.sequence_length - 2  # <go> and <eos>

    def fits(sources, targets):
        return (_token_counts(source.tokenizer, sources) <= source_room) & (
            _token_counts(target.tokenizer, targets) <= target_room
        )

    chosen = "--sequence-length" if sequence_length else "the longest training pair"
    return _length_notes(
        f"sequence_length {source_room} source / {target_room} target tokens "
        f"({chosen})",
        fits(*splits["train"]),
        fits(*splits["held_out"]),
        "pairs",
        "held-out",
        "pass a larger --sequence-length, or none to fit the longest training pair",
    )


def _sized(batches, count):
    """Unbatches `batches`; restating the size lets `fit` know where epochs end."""
    return batches.unbatch().apply(tf.data.experimental.assert_cardinality(count))


def build_translation(task, tiny):
    if tiny:
        return translation_recipe.build_translator(
            task.raw_train, embedding_dim=8, units=16
        )
    return translation_recipe.build_translator(task.raw_train)


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
    # easy-VQA's recipe reads its scenes at `vqa_training.IMAGE_SIZE` (32); the
    # generated scenes (several shapes, positions) keep their own size.
    small = tiny or data == "easy_vqa"
    image_size = vqa_training.IMAGE_SIZE if small else None
    return TaskData(description, None, test, train, settings={"image_size": image_size})


def build_vqa(task, tiny):
    return build_vqa_model(
        task.raw_train,
        quick=tiny,
        image_size=task.settings["image_size"],
        **_run_settings(task),
    )


def _run_settings(task):
    """The run's `epochs` and `batch_size` (`train_application` sets them
    before building), for recipes whose learning rate decays over the run."""
    return {k: task.settings[k] for k in ("epochs", "batch_size") if k in task.settings}


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

SENTIMENT_CLASSES = ("negative", "positive")
# The share of a `--data` file held out without `--test-data`.
SENTIMENT_TEST_FRACTION = 0.2
# `sequence_length` from the data: the token count covering this share of the
# training texts, kept in [MIN, MAX] (TINY_MAX with --tiny, to stay fast).
LENGTH_COVERAGE = 0.95
MIN_SEQUENCE_LENGTH, MAX_SEQUENCE_LENGTH, TINY_MAX_SEQUENCE_LENGTH = 8, 512, 16


def _names_a_file(data):
    """Whether `--data` is meant as a path rather than a tfds name (which has no
    leading `/`, `.` or `~` and no file extension)."""
    extension = os.path.splitext(data)[1].lower()
    return data.startswith(("/", ".", "~")) or extension in (*FORMATS, ".txt")


def load_sentiment(
    data, tiny, seed, test_data=None, validation_split=None, sequence_length=None
):
    fraction = _test_fraction(validation_split, SENTIMENT_TEST_FRACTION)
    notes = []
    if data is None:
        _no_test_data(test_data, "the generated reviews")
        texts, labels = generate_reviews(256 if tiny else 4000, seed=seed)
        cut = int((1 - fraction) * len(texts))
        train_texts, train_labels = texts[:cut], labels[:cut]
        test = (texts[cut:], labels[cut:])
        source, train = "generated reviews", (np.array(train_texts), train_labels)
    elif os.path.isfile(data):
        (train_texts, train_labels), test, notes = _review_file_splits(
            data, test_data, fraction, seed
        )
        source, train = repr(data), (np.array(train_texts), train_labels)
        if test_data is not None:
            source += f", tested on {test_data!r}"
    else:
        if test_data is not None or validation_split is not None:
            raise ValueError(
                "`--test-data` and `--validation-split` apply to a CSV/TSV/JSONL "
                f"`--data` file; {data!r} brings its own train and test splits."
            )
        train_batches, test_batches = _review_sets(data)
        train = train_batches.unbatch()
        train_texts, train_labels = _texts_and_labels(train_batches)
        test = _texts_and_labels(test_batches)
        source = f"{data!r} (aclImdb folder or tfds name)"
    length, length_notes = _sentiment_length(
        train_texts, test[0], tiny, sequence_length
    )
    description = (
        f"{source}: {len(train_texts):,} training texts ({_balance(train_labels)}), "
        f"{len(test[0]):,} test"
    )
    if test_data is not None:
        description += f" ({_balance(test[1])})"
    return TaskData(
        description,
        train,
        test,
        train_texts,
        notes + length_notes,
        {"sequence_length": length},
    )


def _review_sets(data):
    """The batched train and test sets of an aclImdb folder or a tfds name."""
    if os.path.isdir(data):
        return tuple(load_review_folders(data, s) for s in ("train", "test"))
    if _names_a_file(data):
        raise FileNotFoundError(
            f"`--data` names a file or folder that does not exist: {data!r}. "
            "Give an existing CSV/TSV/JSONL file, an aclImdb folder, or a "
            "tensorflow-datasets name such as imdb_reviews."
        )
    return tuple(
        load_tfds_text(data, s, text_keys="text", label_key="label")
        for s in ("train", "test")
    )


def _texts_and_labels(batches):
    """`(texts, int32 labels)` of a batched `(texts, labels)` set, in one pass."""
    texts, labels = [], []
    for text, label in batches:
        texts += [t.decode("utf-8") for t in text.numpy().reshape(-1)]
        labels.append(label.numpy().reshape(-1))
    return texts, np.concatenate(labels).astype("int32")


def _review_file_splits(data, test_data, fraction, seed):
    """`(train, test, notes)` of a labelled file: a seeded, shuffled, stratified
    split, or all of it (shuffled) for training when `test_data` is given."""
    texts, labels = _read_reviews(data, "--data")
    counts = np.bincount(labels, minlength=len(SENTIMENT_CLASSES))
    if np.count_nonzero(counts) < len(SENTIMENT_CLASSES):
        present, missing = (int(c) for c in np.argsort(-counts))
        raise ValueError(
            f"`--data` {data!r} holds only {SENTIMENT_CLASSES[present]} texts (label "
            f"{present}, {counts[present]:,} rows): a classifier needs both classes "
            f"to learn. Add {SENTIMENT_CLASSES[missing]} rows (label {missing}), or "
            "check that the `label` column is the one you meant."
        )
    if test_data is None:
        if counts.min() < 2:
            scarce = int(np.argmin(counts))
            raise ValueError(
                f"`--data` {data!r} has only 1 {SENTIMENT_CLASSES[scarce]} text "
                f"(label {scarce}): the stratified split needs at least 2 of each "
                "class, one to train on and one to test on. Add "
                f"{SENTIMENT_CLASSES[scarce]} rows, or pass --test-data FILE."
            )
        train, held = split_indices(labels, fraction, seed)
        test = ([texts[i] for i in held], labels[held])
        handled = (
            "the split is shuffled and stratified, so both splits hold both classes"
        )
    else:
        train = np.random.default_rng(seed).permutation(len(texts))
        test = _read_reviews(test_data, "--test-data")
        handled = "training reads it shuffled"
    notes = []
    if np.count_nonzero(np.diff(labels)) == 1:
        first, last = (SENTIMENT_CLASSES[labels[i]] for i in (0, -1))
        notes.append(
            f"note: {data!r} is sorted by label (all {first}, then all {last}); "
            f"{handled}"
        )
    return ([texts[i] for i in train], labels[train]), test, notes


def _read_reviews(path, flag):
    """`(texts, int32 labels)` of a CSV/TSV/JSONL file with labels 0 and 1."""
    texts, labels = read_labelled_text(path, "text", "label")
    if not texts:
        raise ValueError(
            f"`{flag}` {path!r} holds no rows; it needs `text` and `label` columns."
        )
    labels = np.asarray(labels, "int32")
    unknown = sorted(set(labels.tolist()) - set(range(len(SENTIMENT_CLASSES))))
    if unknown:
        raise ValueError(
            f"`{flag}` {path!r} has label {unknown[0]}: sentiment labels are 0 "
            "(negative) and 1 (positive). Map your classes to 0 and 1."
        )
    return texts, labels


def _balance(labels):
    """`"negative 51.2%, positive 48.8%"`."""
    counts = np.bincount(labels, minlength=len(SENTIMENT_CLASSES))
    return ", ".join(
        f"{name} {count / max(len(labels), 1):.1%}"
        for name, count in zip(SENTIMENT_CLASSES, counts, strict=True)
    )


def _sentiment_length(train_texts, test_texts, tiny, sequence_length):
    """`(sequence_length, notes)`: `sequence_length`, else the token count that
    covers `LENGTH_COVERAGE` of the training texts, within the bounds."""
    tokenizer = TextTokenizer()  # the one `SentimentPreprocessor.from_texts` uses
    train_counts = _token_counts(tokenizer, train_texts)
    wanted = int(np.quantile(train_counts, LENGTH_COVERAGE, method="inverted_cdf"))
    if sequence_length is not None:
        length = check_positive_int("sequence_length", sequence_length)
        setting = f"sequence_length {length} (--sequence-length)"
    else:
        cap = TINY_MAX_SEQUENCE_LENGTH if tiny else MAX_SEQUENCE_LENGTH
        length = min(max(wanted, MIN_SEQUENCE_LENGTH), cap)
        setting = f"sequence_length {length}"
        if wanted > cap:
            setting += f" (the {'--tiny ' if tiny else ''}cap)"
    return length, _length_notes(
        setting,
        train_counts <= length,
        _token_counts(tokenizer, test_texts) <= length,
        "texts",
        "test",
        f"pass --sequence-length {wanted} to cover {LENGTH_COVERAGE:.0%} of them",
    )


def build_sentiment(task, tiny):
    preprocessor = SentimentPreprocessor.from_texts(
        task.raw_train,
        sequence_length=task.settings["sequence_length"],
        overflow="truncate",
    )
    backbone = SentimentBackbone(
        len(preprocessor.vocabulary),
        8 if tiny else 32,
        units=8 if tiny else 32,
        num_layers=1,
    )
    model = SentimentClassifier(
        backbone, preprocessor=preprocessor, class_names=list(SENTIMENT_CLASSES)
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
