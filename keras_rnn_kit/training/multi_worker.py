"""Makes Keras 3 `fit` / `evaluate` work under `MultiWorkerMirroredStrategy`.

Keras 3.15's TensorFlow trainer fails with two worker processes (upstream
keras-team/keras#20585, tensorflow/tensorflow#72388): `fit` ends in
`ValueError: Attempt to convert a value (PerReplica:{...}) ... to a Tensor`. There
are two causes, both in `keras/src/backend/tensorflow/trainer.py`:

1. `_maybe_symbolic_build` peeks at the first batch to build the model and passes
   the whole `(x, y)` structure of `PerReplica` values to
   `strategy.reduce("MEAN", batch, axis=None)`. `MirroredStrategy` maps its reduce
   over nested structures; `CollectiveAllReduceExtended._reduce_to` (the
   multi-worker strategy) does not, and tries to turn the tuple into a tensor.
   The reduce only serves to get one batch's shapes, so we take the first local
   replica's values instead (no collective, no data crosses workers).
2. Once that is past, `reduce_per_replica` reduces every train/test log with
   `strategy.reduce("MEAN", value, axis=0)` in multi-worker mode, and the logs are
   scalars ("Invalid reduction dimension 0 for input with 0 dimensions"). We give
   each log a leading axis of length 1 in the replica step, so that reduce returns
   the mean over all replicas as a scalar, which is what `MirroredStrategy`
   reports in a single process.

`multi_worker_fit` applies both fixes to one model instance for the duration of a
`with` block and removes them afterwards; `fit` keeps its callbacks, progress bar
and `History`.
"""

import contextlib
import types

import keras
import tensorflow as tf

from keras_rnn_kit.training.strategy import in_multi_worker_mode
from keras_rnn_kit.utils import keras_compat

_PATCHED = (keras_compat.SYMBOLIC_BUILD_HOOK, "train_step", "test_step")


def _first_local_replica(strategy, structure):
    def first(value):
        if isinstance(value, tf.distribute.DistributedValues):
            return strategy.experimental_local_results(value)[0]
        return value

    return keras.tree.map_structure(first, structure)


def build_from_first_replica(model, iterator=None, data_batch=None):
    """Builds `model` from the first local replica's batch (see the module docstring).

    A drop-in for Keras's build hook (`keras_compat.SYMBOLIC_BUILD_HOOK`), which
    MEAN-reduces the first distributed batch across replicas only to read its
    shapes: that fails under `MultiWorkerMirroredStrategy` (nested structures)
    and, under any multi-replica strategy, on bool inputs such as `padding_mask`
    (no bool `AddN` kernel). The first replica's batch has the same shapes and
    dtypes.
    """
    strategy = model.distribute_strategy
    if iterator is not None:
        for _, _, batches in iterator:
            data_batch = _first_local_replica(strategy, next(batches))
            break
    with strategy.scope():
        keras_compat.symbolic_build(model, data_batch)


class FirstReplicaBuild:
    """Mixin for `keras.Model` subclasses with bool or nested inputs.

    Under a multi-replica strategy (the model's `distribute_strategy` has
    `num_replicas_in_sync > 1`), makes `fit` build the model from the first
    replica's batch (`build_from_first_replica`), so the model trains under
    `MirroredStrategy` even when its inputs include a bool `padding_mask`. Under
    any other strategy Keras's own build hook runs. List it before `keras.Model`:
    `class Translator(FirstReplicaBuild, keras.Model)`.
    """

    # Overrides Keras's private build hook (keras_compat.SYMBOLIC_BUILD_HOOK).
    def _maybe_symbolic_build(self, iterator=None, data_batch=None):
        if self.distribute_strategy.num_replicas_in_sync > 1:
            build_from_first_replica(self, iterator, data_batch)
        else:
            super()._maybe_symbolic_build(iterator=iterator, data_batch=data_batch)


def _with_replica_axis(step):
    def wrapped(self, data):
        logs = step(data)
        return keras.tree.map_structure(lambda t: tf.expand_dims(t, 0), logs)

    return wrapped


@contextlib.contextmanager
def multi_worker_fit(model: keras.Model):
    """Lets `model.fit` and `model.evaluate` run under a multi-worker strategy.

    Outside multi-worker mode (one process, any strategy) this does nothing. Inside,
    it overrides, on this instance only, the model's build-from-first-batch hook and
    wraps its `train_step` / `test_step` (its own or a subclass's override) as the
    module docstring explains; on exit the instance is restored and its compiled
    train/test functions are dropped so they are rebuilt without the wrappers.

    Args:
        model: a compiled `keras.Model` created under the strategy's scope.

    Example:

    >>> import keras, numpy as np
    >>> model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    >>> model.compile("sgd", "mse")
    >>> with multi_worker_fit(model):  # a no-op here: one process
    ...     history = model.fit(np.ones((4, 3)), np.ones((4, 1)), verbose=0)
    """
    if not in_multi_worker_mode(model.distribute_strategy):
        yield model
        return
    train_step, test_step = model.train_step, model.test_step
    setattr(
        model,
        keras_compat.SYMBOLIC_BUILD_HOOK,
        types.MethodType(build_from_first_replica, model),
    )
    model.train_step = types.MethodType(_with_replica_axis(train_step), model)
    model.test_step = types.MethodType(_with_replica_axis(test_step), model)
    model.train_function = model.test_function = None
    try:
        yield model
    finally:
        for name in _PATCHED:
            model.__dict__.pop(name, None)
        model.train_function = model.test_function = None
