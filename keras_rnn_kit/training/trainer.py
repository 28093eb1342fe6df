"""`train`: one call that builds, distributes, checkpoints and resumes a Keras run."""

import importlib.util
import os
import tempfile
from collections.abc import Callable

import keras
import tensorflow as tf

from keras_rnn_kit.training.callbacks import BACKUP_SUBDIR
from keras_rnn_kit.training.callbacks import default_callbacks
from keras_rnn_kit.training.input_pipeline import make_dataset
from keras_rnn_kit.training.multi_worker import multi_worker_fit
from keras_rnn_kit.training.resumable_backup import ResumableBackup
from keras_rnn_kit.training.resumable_backup import delete_backup as _delete_backup
from keras_rnn_kit.training.strategy import get_strategy
from keras_rnn_kit.training.strategy import in_multi_worker_mode
from keras_rnn_kit.training.strategy import is_chief
from keras_rnn_kit.utils.validation import check_choice
from keras_rnn_kit.utils.validation import check_positive_int

MIXED_PRECISION = (None, "auto", "mixed_float16", "mixed_bfloat16")


def resolve_mixed_precision(mixed_precision, strategy) -> str | None:
    """Returns the Keras dtype policy name for a `train(mixed_precision=...)` value.

    `"auto"` picks `"mixed_bfloat16"` on TPU, `"mixed_float16"` when a GPU is
    visible, else `"mixed_bfloat16"` (CPUs with AVX512-BF16/AMX run it natively).

    Args:
        mixed_precision: `None`, `"auto"`, `"mixed_float16"` or `"mixed_bfloat16"`.
        strategy: the `tf.distribute.Strategy` of the run.

    Returns:
        A policy name, or `None` for full float32.
    """
    check_choice("mixed_precision", mixed_precision, MIXED_PRECISION)
    if mixed_precision != "auto":
        return mixed_precision
    if isinstance(strategy, tf.distribute.TPUStrategy):
        return "mixed_bfloat16"
    if tf.config.list_logical_devices("GPU"):
        return "mixed_float16"
    return "mixed_bfloat16"


def _check_writable(checkpoint_dir) -> str:
    if not isinstance(checkpoint_dir, str | os.PathLike) or not str(checkpoint_dir):
        raise ValueError(
            f"`checkpoint_dir` must be a directory path, got {checkpoint_dir!r}."
        )
    checkpoint_dir = os.fspath(checkpoint_dir)
    try:
        os.makedirs(checkpoint_dir, exist_ok=True)
        with tempfile.TemporaryFile(dir=checkpoint_dir):
            pass
    except OSError as error:
        raise PermissionError(
            f"`checkpoint_dir` must be a writable directory; {checkpoint_dir!r} is "
            f"not ({error.strerror or error}). Pick another path or fix its "
            "permissions."
        ) from None
    return checkpoint_dir


def _resolve_strategy(strategy, peer_timeout_s) -> tf.distribute.Strategy:
    if isinstance(strategy, tf.distribute.Strategy):
        return strategy
    return get_strategy(strategy, peer_timeout_s=peer_timeout_s)


def _is_chief_process(strategy) -> bool:
    if not in_multi_worker_mode(strategy):
        return True
    resolver = strategy.cluster_resolver
    return is_chief(
        {
            "cluster": resolver.cluster_spec().as_dict(),
            "task": {"type": resolver.task_type, "index": resolver.task_id},
        }
    )


def _build(task_builder, strategy, compile_kwargs, policy, train_dataset):
    with strategy.scope():
        model = task_builder()
        if not isinstance(model, keras.Model):
            raise TypeError(
                f"`task_builder` must return a keras.Model, got {type(model).__name__}."
            )
        if not model.compiled:
            if compile_kwargs["loss"] is None:
                raise ValueError(
                    "`task_builder` returned an uncompiled model and `loss` is None; "
                    "compile it in the builder or pass `loss=` to `train`."
                )
            model.compile(**compile_kwargs)
        if not model.built:
            x = next(iter(train_dataset.take(1)))[0]
            model(x)
    if policy == "mixed_float16" and not isinstance(
        model.optimizer, keras.optimizers.LossScaleOptimizer
    ):
        raise ValueError(
            "mixed_precision='mixed_float16' needs a LossScaleOptimizer; the model's "
            f"dtype policy is {model.dtype_policy.name!r}, so compile did not add one. "
            "Build the model without a fixed `dtype` so it follows the global policy."
        )
    return model


def _with_restored_epochs(history, restored_logs):
    """Makes `history` (the epochs this `fit` ran) start with the restored ones."""
    merged = {}
    for logs in restored_logs:
        for key, value in logs.items():
            merged.setdefault(key, []).append(value)
    for key, values in history.history.items():
        merged.setdefault(key, []).extend(values)
    history.history = merged
    history.epoch = list(range(len(restored_logs))) + history.epoch
    return history


def discard_backup(checkpoint_dir, strategy: tf.distribute.Strategy) -> None:
    """Deletes the backup a `train(..., delete_backup=False)` run kept.

    Call it once everything the run produces is on disk: until then a rerun of the
    same call restores the finished run from the backup (training no epoch) and
    can write the results again. Under multi-worker training only the chief
    deletes (it alone wrote the backup); elsewhere this does nothing.

    Args:
        checkpoint_dir: the `checkpoint_dir` given to `train`.
        strategy: the run's strategy, e.g. `model.distribute_strategy`.

    Example:

    >>> import keras, numpy as np, os, tempfile
    >>> def build():
    ...     model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    ...     model.compile("sgd", "mse")
    ...     return model
    >>> ckpt = tempfile.mkdtemp()
    >>> model, _ = train(build, (np.ones((4, 3)), np.ones((4, 1))), verbose=0,
    ...                  checkpoint_dir=ckpt, delete_backup=False)
    >>> model.save(os.path.join(ckpt, "final.keras"))
    >>> discard_backup(ckpt, model.distribute_strategy)
    >>> sorted(os.listdir(ckpt))
    ['best.json', 'best.keras', 'final.keras']
    """
    if _is_chief_process(strategy):
        _delete_backup(os.path.join(os.fspath(checkpoint_dir), BACKUP_SUBDIR))


def train(
    task_builder: Callable[[], keras.Model],
    train_data,
    validation_data=None,
    *,
    strategy="auto",
    epochs: int = 1,
    global_batch_size: int = 32,
    checkpoint_dir,
    log_dir: str | None = None,
    mixed_precision: str | None = None,
    optimizer="adam",
    loss=None,
    metrics=None,
    monitor: str | None = None,
    shuffle_seed: int | None = None,
    seed: int | None = None,
    drop_remainder: bool = False,
    callbacks: list | None = None,
    verbose="auto",
    delete_backup: bool = True,
    peer_timeout_s: float | None = None,
):
    """Trains the model `task_builder` returns, distributed, checkpointed, resumable.

    Everything that can be checked is checked before any model or dataset is made:
    the strategy (and `TF_CONFIG`), the global batch size against the number of
    replicas, the checkpoint directory, and that the data yields at least one batch.
    Then the model is built and compiled inside `strategy.scope()` under the chosen
    dtype policy, and `fit` runs with progress output and `default_callbacks`
    (NaN guard with advice, atomic epoch backups, best model, TensorBoard).

    Under `MultiWorkerMirroredStrategy`, `fit` runs inside `multi_worker_fit`,
    which closes a Keras 3 gap (see `keras_rnn_kit.training.multi_worker`); wrap
    later `model.evaluate` calls on the workers in it too (`predict` works as is).

    Running the same call again after a crash resumes from the last completed epoch
    (or, with a larger `epochs`, continues a finished run whose backup was kept).
    With `shuffle_seed` the order of examples depends only on `(shuffle_seed,
    epoch)`, so a resumed run replays exactly the batches an uninterrupted one
    would have seen. A backup of all `epochs` epochs (a kill after the last one)
    is restored and no epoch runs; one of more epochs than `epochs` is refused.

    By default the backup is deleted when `fit` ends, so a kill after that and
    before the caller has saved the returned model loses the run. A caller that
    saves results passes `delete_backup=False` and calls `discard_backup` once
    they are on disk, as `keras_rnn_kit.applications.train_application` does.

    Args:
        task_builder: zero-argument callable returning a `keras.Model`, compiled or
            not (then `optimizer`, `loss` and `metrics` compile it).
        train_data: unbatched `tf.data.Dataset` of `(x, y)` / `(x, y, w)` examples,
            or a tuple of numpy arrays (or dicts of arrays) with that layout.
        validation_data: same forms as `train_data`, or `None`.
        strategy: a name for `get_strategy` (`"auto"`, `"one_device"`,
            `"mirrored"`, `"multi_worker"`, `"tpu"`) or a `tf.distribute.Strategy`.
        epochs: int > 0, total epochs (including ones a resumed run already did).
        global_batch_size: int > 0, examples per step over all replicas; must be
            divisible by the number of replicas.
        checkpoint_dir: writable directory for `best.keras` and `backup/`.
        log_dir: TensorBoard log directory, or `None`.
        mixed_precision: `None` (float32), `"auto"`, `"mixed_float16"` (adds a
            `LossScaleOptimizer`) or `"mixed_bfloat16"`.
        optimizer: used only to compile an uncompiled model.
        loss: used only to compile an uncompiled model.
        metrics: used only to compile an uncompiled model.
        monitor: epoch log for the best model; default `"val_loss"` when there is
            validation data, else `"loss"`.
        shuffle_seed: int to reshuffle array training data every epoch in an
            order fixed by `(shuffle_seed, epoch)`; `None` keeps the order (shuffle
            a `tf.data` input yourself).
        seed: int for `keras.utils.set_random_seed` before building, or `None`.
        drop_remainder: drop each epoch's last, smaller batch.
        callbacks: extra callbacks, run after the default ones.
        verbose: `fit` verbosity on the chief (other workers are silent).
        delete_backup: delete `<checkpoint_dir>/backup` when `fit` ends; `False`
            keeps it for `discard_backup`.
        peer_timeout_s: seconds a multi-worker run waits for its peers before
            `PeerTimeoutError` (see `get_strategy`); default
            `RNNKIT_PEER_TIMEOUT_S`, else 300. Ignored for a strategy object.

    Returns:
        `(model, history)`: the trained model and the `keras.callbacks.History`,
        whose `history` and `epoch` cover every epoch of the run, those restored
        from a backup included.

    Raises:
        ValueError: for a bad argument, a malformed `TF_CONFIG`, a batch size the
            replicas cannot split, data with zero batches, or a backup in
            `checkpoint_dir` of more than `epochs` epochs.
        PermissionError: when `checkpoint_dir` is not writable.
        FloatingPointError: when the loss becomes NaN or infinite.

    Example:

    >>> import keras, numpy as np, tempfile
    >>> from keras_rnn_kit.cells import LSTMCell
    >>> def build():
    ...     return keras.Sequential([keras.Input((5, 3)),
    ...                              keras.layers.RNN(LSTMCell(4)),
    ...                              keras.layers.Dense(1)])
    >>> x, y = np.zeros((16, 5, 3), "float32"), np.zeros((16, 1), "float32")
    >>> model, history = train(build, (x, y), loss="mse", epochs=2,
    ...                        global_batch_size=8, verbose=0,
    ...                        checkpoint_dir=tempfile.mkdtemp())
    >>> len(history.history["loss"])
    2
    """
    check_positive_int("epochs", epochs)
    check_positive_int("global_batch_size", global_batch_size)
    if not callable(task_builder):
        raise TypeError(
            "`task_builder` must be a zero-argument callable returning a keras.Model, "
            f"got {type(task_builder).__name__}."
        )
    strategy = _resolve_strategy(strategy, peer_timeout_s)
    replicas = strategy.num_replicas_in_sync
    if global_batch_size % replicas:
        suggestion = replicas * max(1, global_batch_size // replicas)
        raise ValueError(
            f"`global_batch_size` must be divisible by the number of replicas "
            f"({replicas}) so each replica gets the same share; got "
            f"{global_batch_size}. Use e.g. {suggestion}."
        )
    policy = resolve_mixed_precision(mixed_precision, strategy)
    checkpoint_dir = _check_writable(checkpoint_dir)
    if log_dir is not None and importlib.util.find_spec("tensorboard") is None:
        raise ImportError(
            f"`log_dir={log_dir!r}` asks for TensorBoard logs, which need the "
            "`tensorboard` package (pip install tensorboard); or pass log_dir=None."
        )
    chief = _is_chief_process(strategy)
    monitor = monitor or ("val_loss" if validation_data is not None else "loss")
    run_callbacks = default_callbacks(
        checkpoint_dir, monitor, log_dir, chief, delete_backup
    )
    backup = next(c for c in run_callbacks if isinstance(c, ResumableBackup))
    first_epoch = backup.resume_epoch(epochs)
    # A backup of every epoch leaves `fit` none to run; the stream still holds
    # the last one, whose first batch builds the model.
    train_dataset, steps = make_dataset(
        train_data,
        global_batch_size,
        "train_data",
        drop_remainder,
        shuffle_seed,
        (min(first_epoch, epochs - 1), epochs),
    )
    val_dataset = None
    if validation_data is not None:
        val_dataset, _ = make_dataset(
            validation_data, global_batch_size, "validation_data", drop_remainder
        )
    previous_policy = keras.mixed_precision.global_policy()
    try:
        if policy is not None:
            keras.mixed_precision.set_global_policy(policy)
        if seed is not None:
            keras.utils.set_random_seed(seed)
        compile_kwargs = {"optimizer": optimizer, "loss": loss, "metrics": metrics}
        model = _build(task_builder, strategy, compile_kwargs, policy, train_dataset)
        with multi_worker_fit(model):
            history = model.fit(
                train_dataset,
                validation_data=val_dataset,
                epochs=epochs,
                steps_per_epoch=steps if shuffle_seed is not None else None,
                callbacks=run_callbacks + list(callbacks or []),
                shuffle=False,
                verbose=verbose if chief else 0,
            )
    finally:
        keras.mixed_precision.set_global_policy(previous_policy)
    return model, _with_restored_epochs(history, backup.restored_logs)
