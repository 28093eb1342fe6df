"""The application registry behind `rnnkit train / evaluate / predict`.

Each `Application` knows its offline default data, how to read `--data`, how to
build its compiled task, its task metrics and how to turn command-line inputs into
predictions (the adapters in `keras_rnn_kit.application_adapters`).
`train_application`, `evaluate_application` and `predict_application` are the
entry points the CLI calls; training goes through `keras_rnn_kit.training.train`
(strategies, checkpoints, resuming).

Example:

>>> result = train_application("translation", out="/tmp/tr")     # doctest: +SKIP
>>> predict_application("translation", result["model_path"],
...                     ["三百二十一"])                             # doctest: +SKIP
['三百二十一\\tthree hundred twenty one']
"""

import dataclasses
import json
import math
import os
import zipfile
from collections.abc import Callable

import keras

from keras_rnn_kit import application_adapters as adapters
from keras_rnn_kit import training
from keras_rnn_kit.models.translation import translation_recipe
from keras_rnn_kit.models.vqa import vqa_training
from keras_rnn_kit.training.run_length import MAX_DEFAULT_EPOCHS
from keras_rnn_kit.training.run_length import epochs_for_min_steps
from keras_rnn_kit.utils.validation import check_choice
from keras_rnn_kit.utils.validation import check_positive_int


@dataclasses.dataclass(frozen=True)
class Application:
    """One `rnnkit` application.

    Attributes:
        name: the command-line name.
        data_help: what `--data` accepts and the offline default.
        load: `(data, tiny, seed, **data_options) -> TaskData`.
        build: `(TaskData, tiny) -> compiled keras.Model`.
        evaluate: `(model, test split) -> {metric: value}`.
        predict: `(model, inputs, options) -> list of output lines`.
        epochs: default epochs of a full run.
        min_steps: with the default epochs, a full run takes at least this
            many optimizer steps: a small training set gets more epochs, up
            to `MAX_DEFAULT_EPOCHS` (each epoch writes a backup).
        batch_size: default global batch size.
        options: the keyword options `predict` accepts.
        examples: `(model, raw_train) -> tf.data` of unbatched training
            examples, for tasks whose `TaskData.train` is `None`.
        data_options: the keyword options `load` accepts besides `data`
            (`DATA_OPTIONS`).
    """

    name: str
    data_help: str
    load: Callable
    build: Callable
    evaluate: Callable
    predict: Callable
    epochs: int
    batch_size: int = 64
    min_steps: int = 0
    options: tuple = ()
    examples: Callable | None = None
    data_options: tuple = ()

    def default_epochs(self, count: int, batch_size: int) -> int:
        """`epochs`, or more where `epochs` passes over `count` examples would
        take fewer than `min_steps` optimizer steps of `batch_size` (at most
        `MAX_DEFAULT_EPOCHS`; see `training.run_length.epochs_for_min_steps`).

        Args:
            count: training examples; <= 0 when unknown (then `epochs`).
            batch_size: int > 0, the global batch size.

        Example:

        >>> get_application("translation").default_epochs(1_000, 64)
        150
        >>> get_application("vqa").default_epochs(1_000, 64)  # no min_steps
        10
        """
        return epochs_for_min_steps(count, batch_size, self.epochs, self.min_steps)


# What `load` may take besides `data`: a held-out file, the share of `data` held
# out without one, and the tokens per text.
DATA_OPTIONS = ("test_data", "validation_split", "sequence_length")

APPLICATIONS = {
    app.name: app
    for app in (
        Application(
            "sentiment",
            "an aclImdb folder, a CSV/TSV/JSONL file with `text` and `label` "
            "columns, or a tfds name (default: generated reviews)",
            adapters.load_sentiment,
            adapters.build_sentiment,
            adapters.evaluate_sentiment,
            adapters.predict_sentiment,
            epochs=4,
            data_options=DATA_OPTIONS,
        ),
        Application(
            "translation",
            "a source<TAB>target TSV file (default: the generated zh->en numbers)",
            adapters.load_translation,
            adapters.build_translation,
            adapters.evaluate_translation,
            adapters.predict_translation,
            epochs=translation_recipe.EPOCHS,
            batch_size=translation_recipe.BATCH_SIZE,
            min_steps=translation_recipe.MIN_STEPS,
            options=("beam_width",),
            data_options=DATA_OPTIONS,
        ),
        Application(
            "captioning",
            "`scenes` (default: the kit's generated shape scenes)",
            adapters.load_captioning,
            adapters.build_captioning,
            adapters.evaluate_captioning,
            adapters.predict_captioning,
            epochs=30,
            batch_size=32,
            options=("beam_width",),
            examples=adapters.captioning_examples,
        ),
        Application(
            "vqa",
            "`easy_vqa` (default, shipped with the easy-vqa package) or `scenes`",
            adapters.load_vqa,
            adapters.build_vqa,
            adapters.evaluate_vqa,
            adapters.predict_vqa,
            epochs=vqa_training.EPOCHS,
            batch_size=vqa_training.BATCH_SIZE,
            options=("question",),
            examples=adapters.vqa_examples,
        ),
        Application(
            "visual-dialog",
            "`easy_vqa` (default: easy-VQA's questions as dialogs)",
            adapters.load_visual_dialog,
            adapters.build_visual_dialog,
            adapters.evaluate_visual_dialog,
            adapters.predict_visual_dialog,
            epochs=6,
            options=("question", "history"),
            examples=adapters.visual_dialog_examples,
        ),
    )
}


def get_application(name: str) -> Application:
    """Returns the registered `Application` called `name`."""
    check_choice("application", name, tuple(APPLICATIONS))
    return APPLICATIONS[name]


def _data_options(app, **given):
    """The `load` options given (not None); refuses those `app` does not read."""
    options = {name: value for name, value in given.items() if value is not None}
    unexpected = sorted(set(options) - set(app.data_options))
    if unexpected:
        readers = [a.name for a in APPLICATIONS.values() if a.data_options]
        flag = "--" + unexpected[0].replace("_", "-")
        raise ValueError(
            f"`{unexpected[0]}` ({flag}) does not apply to {app.name}; only "
            f"{' and '.join(readers)} read it."
        )
    return options


def _train_examples(app, task, tiny):
    """The examples `training.train` reads. Image tasks build their pipeline
    with the task's own preprocessor (a throwaway build, same vocabulary)."""
    if task.train is not None:
        return task.train
    return app.examples(app.build(task, tiny), task.raw_train)


def _default_epochs(app, examples, batch_size, log):
    """`app.default_epochs` for `examples`, saying why when it raises them."""
    # A tf.data.Dataset knows its size (-1/-2: unknown/infinite).
    count = int(examples.cardinality()) if hasattr(examples, "cardinality") else -1
    epochs = app.default_epochs(count, batch_size)
    if epochs > app.epochs:
        steps = math.ceil(count / batch_size)
        reach = (
            f"still gets {app.min_steps:,} steps"
            if epochs * steps >= app.min_steps
            else f"gets {epochs * steps:,} steps ({MAX_DEFAULT_EPOCHS} epochs at most)"
        )
        log(
            f"{app.name}: {epochs} epochs of {steps} steps: a small training set "
            f"({count:,} examples) {reach} (pass --epochs to choose)"
        )
    return epochs


def train_application(
    name: str,
    data: str | None = None,
    *,
    out: str = "rnnkit_out",
    strategy: str = "auto",
    epochs: int | None = None,
    batch_size: int | None = None,
    tiny: bool = False,
    seed: int = 0,
    test_data: str | None = None,
    validation_split: float | None = None,
    sequence_length: int | None = None,
    verbose="auto",
    log: Callable = print,
    peer_timeout_s: float | None = None,
) -> dict:
    """Trains one application and saves `out/<name>.keras` and `out/metrics.json`.

    Rerunning the same call after a kill at any moment resumes the run: training
    keeps its backup (`out/checkpoints/backup`) until both files are written
    (each atomically), so a kill after the last epoch retrains nothing and only
    evaluates and saves again.

    Args:
        name: an application name (`APPLICATIONS`).
        data: `--data` (see each application's `data_help`); `None` is the
            offline default.
        out: output folder (checkpoints go to `out/checkpoints`).
        strategy: a `training.get_strategy` name.
        epochs: int > 0; default 1 with `tiny`, else the application's, raised
            where those epochs would take fewer than its `min_steps` steps.
        batch_size: global batch size; default the application's.
        tiny: tiny data and model, for smoke tests (seconds).
        seed: seeds the data, the weights and the shuffling.
        test_data: sentiment, translation: a file of the same format as
            `data` to test on; all of `data` is then training data.
        validation_split: sentiment, translation: float in (0, 1), the share of
            `data` held out for the metrics without `test_data` (split seeded,
            shuffled and, by label, stratified); default 0.2 for sentiment, 0.1
            for translation.
        sequence_length: sentiment, translation: tokens per text; default
            from the data (sentiment: covers 95% of the training texts, in
            [8, 512], at most 16 with `tiny`; translation: the longest pair).
        verbose: `fit` verbosity.
        log: called with progress lines.
        peer_timeout_s: multi-worker only: seconds to wait for the other
            workers (see `training.get_strategy`).

    Returns:
        `{"model_path", "metrics_path", "metrics", "data", "epochs"}`.
    """
    app = get_application(name)
    if epochs is not None:
        check_positive_int("epochs", epochs)
    batch_size = check_positive_int(
        "batch_size", app.batch_size if batch_size is None else batch_size
    )
    options = _data_options(
        app,
        test_data=test_data,
        validation_split=validation_split,
        sequence_length=sequence_length,
    )
    keras.utils.set_random_seed(seed)
    task = app.load(data, tiny, seed, **options)
    log(f"{name}: {task.description}")
    for note in task.notes:
        log(f"{name}: {note}")
    train_data = _train_examples(app, task, tiny)
    if epochs is None:
        epochs = 1 if tiny else _default_epochs(app, train_data, batch_size, log)
    task.settings.update(epochs=epochs, batch_size=batch_size)
    checkpoint_dir = os.path.join(out, "checkpoints")
    model, history = training.train(
        lambda: app.build(task, tiny),
        train_data,
        strategy=strategy,
        epochs=epochs,
        global_batch_size=batch_size,
        checkpoint_dir=checkpoint_dir,
        seed=seed,
        verbose=verbose,
        delete_backup=False,
        peer_timeout_s=peer_timeout_s,
    )
    log(f"{name}: evaluating on the held-out split")
    metrics = {k: float(v) for k, v in app.evaluate(model, task.test).items()}
    metrics["final_loss"] = float(history.history["loss"][-1])
    model_path = os.path.join(out, f"{name}.keras")
    training.atomic_write(model_path, model.save)
    metrics_path = os.path.join(out, "metrics.json")

    def write_metrics(path):
        with open(path, "w", encoding="utf-8") as f:
            json.dump(
                {"application": name, "data": task.description, **metrics}, f, indent=2
            )

    training.atomic_write(metrics_path, write_metrics)
    training.discard_backup(checkpoint_dir, model.distribute_strategy)
    return {
        "model_path": model_path,
        "metrics_path": metrics_path,
        "metrics": metrics,
        "data": task.description,
        "epochs": epochs,
    }


def load_task_model(path: str) -> keras.Model:
    """Loads a `.keras` file saved by `train_application` (or any kit model)."""
    if not os.path.isfile(path):
        raise FileNotFoundError(
            f"`model` must be a .keras file; {path!r} does not exist."
        )
    if not path.endswith(".keras"):
        raise ValueError(f"`model` must be a .keras file, got {path!r}.")
    if not zipfile.is_zipfile(path):
        raise ValueError(
            f"`model` must be a complete .keras file (a zip archive); {path!r} "
            f"({os.path.getsize(path)} bytes) is not one. It may be truncated or "
            "still being written: copy it again, or retrain."
        )
    return keras.saving.load_model(path)


def evaluate_application(
    name: str,
    model_path: str,
    data: str | None = None,
    tiny: bool = False,
    seed: int = 0,
    *,
    test_data: str | None = None,
    validation_split: float | None = None,
) -> dict:
    """Loads `model_path` and returns its task metrics on the held-out split of
    the same data `train_application` would read (`data`, `tiny`, `seed`,
    `test_data`, `validation_split`)."""
    app = get_application(name)
    options = _data_options(app, test_data=test_data, validation_split=validation_split)
    model = load_task_model(model_path)
    task = app.load(data, tiny, seed, **options)
    return {k: float(v) for k, v in app.evaluate(model, task.test).items()}


def predict_application(
    name: str, model_path: str, inputs: list[str], **options
) -> list[str]:
    """Runs a saved task on command-line inputs; returns one line per input.

    Args:
        name: an application name.
        model_path: a `.keras` file.
        inputs: texts (sentiment, translation) or image paths (captioning, vqa).
        **options: `question` (vqa), `beam_width` (translation, captioning).
    """
    app = get_application(name)
    if not inputs:
        raise ValueError(f"`inputs` must name at least one input for {name}, got none.")
    unexpected = sorted(set(options) - set(app.options))
    if unexpected:
        raise ValueError(
            f"`{unexpected[0]}` does not apply to {name}; it takes "
            f"{', '.join(app.options) or 'no options'}."
        )
    return app.predict(load_task_model(model_path), list(inputs), options)
