"""The application registry behind `rnnkit train / evaluate / predict`.

Each application is one recipe (`keras_rnn_kit.models.recipe.Recipe`, in
`models/<app>/<app>_recipe.py`): its defaults, its offline default data, how to
read `--data`, how to build its compiled task, its task metrics and how to turn
command-line inputs into predictions. `train_application`,
`evaluate_application` and `predict_application` are the entry points the CLI
calls; training goes through `keras_rnn_kit.training.train` (strategies,
checkpoints, resuming).

Example:

>>> result = train_application("translation", out="/tmp/tr")     # doctest: +SKIP
>>> predict_application("translation", result["model_path"],
...                     ["三百二十一"])                             # doctest: +SKIP
['三百二十一\\tthree hundred twenty one']
"""

import json
import math
import os
import zipfile
from collections.abc import Callable

import keras

from keras_rnn_kit import training
from keras_rnn_kit.models.captioning.captioning_recipe import CaptioningRecipe
from keras_rnn_kit.models.recipe import Recipe
from keras_rnn_kit.models.sentiment.sentiment_recipe import SentimentRecipe
from keras_rnn_kit.models.translation.translation_recipe import TranslationRecipe
from keras_rnn_kit.models.visual_dialog.visual_dialog_recipe import VisualDialogRecipe
from keras_rnn_kit.models.vqa.vqa_recipe import VQARecipe
from keras_rnn_kit.training.run_length import MAX_DEFAULT_EPOCHS
from keras_rnn_kit.utils.validation import check_choice
from keras_rnn_kit.utils.validation import check_positive_int

# One recipe per application (`keras_rnn_kit.models.recipe.Recipe`), by name.
APPLICATIONS = {
    recipe.name: recipe
    for recipe in (
        SentimentRecipe(),
        TranslationRecipe(),
        CaptioningRecipe(),
        VQARecipe(),
        VisualDialogRecipe(),
    )
}


def get_application(name: str | Recipe) -> Recipe:
    """Returns the registered recipe of the application called `name`, or
    `name` itself if it is a `Recipe` (a variant: `dataclasses.replace(
    get_application("captioning"), attention=None)`)."""
    if isinstance(name, Recipe):
        return name
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


def _default_epochs(app, prepared, batch_size, log):
    """`app.default_epochs` for `prepared`, saying why when it raises them."""
    examples = prepared.train
    if hasattr(examples, "cardinality"):
        # A tf.data.Dataset knows its size (-1/-2: unknown/infinite).
        count = int(examples.cardinality())
    else:  # arrays: (inputs, labels)
        count = len(examples[0])
    epochs = app.default_epochs(count, batch_size, prepared.epochs)
    if epochs > (prepared.epochs or app.epochs):
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
    name: str | Recipe,
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
        name: an application name (`APPLICATIONS`), or a `Recipe` (a variant
            of a registered one, made with `dataclasses.replace`).
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
        `{"model_path", "metrics_path", "metrics", "data", "epochs", "model",
        "prepared"}`: `model` is the trained task, `prepared` the recipe's
        `PreparedData` (its `test` split is what `metrics` scored), so a script
        can show predictions without loading the data again.
    """
    app = get_application(name)
    name = app.name
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
    prepared = app.load(data, tiny, seed, **options)
    log(f"{name}: {prepared.description}")
    for note in prepared.notes:
        log(f"{name}: {note}")
    if epochs is None:
        epochs = 1 if tiny else _default_epochs(app, prepared, batch_size, log)
    checkpoint_dir = os.path.join(out, "checkpoints")
    model, history = training.train(
        lambda: app.build(prepared, tiny, epochs=epochs, batch_size=batch_size),
        prepared.train,
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
    metrics = {k: float(v) for k, v in app.evaluate(model, prepared.test).items()}
    metrics["final_loss"] = float(history.history["loss"][-1])
    model_path = os.path.join(out, f"{name}.keras")
    training.atomic_write(model_path, model.save)
    metrics_path = os.path.join(out, "metrics.json")

    def write_metrics(path):
        with open(path, "w", encoding="utf-8") as f:
            json.dump(
                {"application": name, "data": prepared.description, **metrics},
                f,
                indent=2,
            )

    training.atomic_write(metrics_path, write_metrics)
    training.discard_backup(checkpoint_dir, model.distribute_strategy)
    return {
        "model_path": model_path,
        "metrics_path": metrics_path,
        "metrics": metrics,
        "data": prepared.description,
        "epochs": epochs,
        "model": model,
        "prepared": prepared,
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
    prepared = app.load(data, tiny, seed, **options)
    return {k: float(v) for k, v in app.evaluate(model, prepared.test).items()}


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
