"""Every private Keras (and TensorFlow) name the kit relies on, behind one gate.

Keras 3 has no public API for the things below; each is one small function or
constant here, whose docstring says what Keras offers publicly and why that is not
enough. `tests/utils/test_keras_compat.py` checks that each still exists and still
does its job on the installed Keras, so an upgrade that removes one fails there,
by name, rather than somewhere deep in training.

The kit is tested on the Keras versions in `TESTED_KERAS`; importing it with any
other version raises (`check_keras_version`), since these private names change
between minor releases without notice.

Example:

>>> from keras_rnn_kit.utils import keras_compat
>>> keras_compat.check_keras_version()  # passes on a tested Keras
>>> keras_compat.DropoutRNNCell.__name__
'DropoutRNNCell'
"""

import re

import keras

# The Keras versions the test suite passes on (pyproject.toml pins the same range).
TESTED_KERAS = (">=3.15", "<3.16")

# The `keras.Model` method that `fit`, `evaluate`, `train_on_batch` and
# `test_on_batch` call to build the model from the first batch. Public: none;
# overriding it is the only way to change how that batch is read under a
# distribution strategy (`training.multi_worker.FirstReplicaBuild` overrides it,
# `multi_worker_fit` patches it on one instance).
SYMBOLIC_BUILD_HOOK = "_maybe_symbolic_build"


def _version_tuple(text):
    """`"3.15.1"` -> `(3, 15, 1)`; a suffix such as `.dev0` or `rc1` is ignored."""
    return tuple(int(part) for part in re.match(r"\d+(?:\.\d+)*", text)[0].split("."))


def _satisfies(version, spec):
    """Whether a version tuple meets one `">=X.Y"` or `"<X.Y"` bound."""
    operator, bound = re.fullmatch(r"(>=|<)([\d.]+)", spec).groups()
    bound = _version_tuple(bound)
    version = version[: len(bound)]
    return version >= bound if operator == ">=" else version < bound


def check_keras_version():
    """Raises `ImportError` unless the installed Keras is in `TESTED_KERAS`.

    Raises:
        ImportError: naming the installed version and the tested range.
    """
    installed = keras.__version__
    if not all(_satisfies(_version_tuple(installed), s) for s in TESTED_KERAS):
        tested = ",".join(TESTED_KERAS)
        raise ImportError(
            f"keras_rnn_kit is tested with keras{tested}, but keras {installed} is "
            "installed; it relies on private Keras names that change between "
            f"releases (keras_rnn_kit/utils/keras_compat.py). Install "
            f"'keras{tested}'."
        )


check_keras_version()


def _dropout_rnn_cell_mixin():
    """Returns Keras's `DropoutRNNCell` mixin, read off the public `LSTMCell`.

    Public: nothing; `keras.layers.RNN` builds one dropout mask per sequence
    (outside its time loop, so the mask is the same at every step) and clears it
    afterwards, but only for cells that inherit this unexported mixin. We take it
    from the MRO of a public cell rather than importing `keras.src`.
    """
    for klass in keras.layers.LSTMCell.__mro__:
        if klass.__name__ == "DropoutRNNCell":
            return klass
    raise ImportError(
        "keras_rnn_kit needs keras.layers.LSTMCell to inherit Keras's "
        f"DropoutRNNCell mixin; keras {keras.__version__} does not."
    )


DropoutRNNCell = _dropout_rnn_cell_mixin()


def keras_mask(tensor):
    """Returns the mask Keras attached to `tensor` (`_keras_mask`), or None.

    Public: a layer receives this mask as its `mask` call argument, and
    `Layer.compute_mask` computes it; there is no public getter. A layer that must
    combine it with another mask before `Layer.__call__` (which is where Keras
    reads it) has to read the attribute.

    Args:
        tensor: a tensor or `keras.KerasTensor`.

    Returns:
        The boolean mask tensor, or None when the tensor carries none.
    """
    return getattr(tensor, "_keras_mask", None)


def set_initial_epoch(model, epoch):
    """Makes the running `model.fit` start at `epoch` (`Model._initial_epoch`).

    Public: `fit(initial_epoch=...)`, which a callback cannot change. Keras's own
    `BackupAndRestore` sets this attribute in `on_train_begin`, before `fit`
    reads it.

    Args:
        model: the `keras.Model` being fit (a callback's `self.model`).
        epoch: int, index of the first epoch to run.
    """
    model._initial_epoch = epoch


def symbolic_build(model, data_batch):
    """Builds `model` (its layers, metrics and optimizer) from `data_batch`.

    Public: `model.build(input_shape)` builds the layers only. This is what
    Keras's `SYMBOLIC_BUILD_HOOK` calls once it has a batch
    (`Model._symbolic_build`).

    Args:
        model: a compiled `keras.Model`.
        data_batch: one batch, `(x, y)` or `(x, y, sample_weight)`; only its
            shapes and dtypes are read.
    """
    model._symbolic_build(data_batch=data_batch)


def in_save_context():
    """Whether TensorFlow is tracing functions for a SavedModel right now.

    Public: none. `tf.saved_model.save` (which Keras's `model.export()` and
    `ExportArchive.write_out` call) traces every signature inside TensorFlow's
    save context; `keras_rnn_kit.layers.RNN` reads it to trace its step loop
    there, so that the SavedModel holds no XLA program (which stock TF Serving and
    LiteRT refuse). TensorFlow is pinned (`tensorflow==2.21.*`) with Keras.

    Returns:
        bool.
    """
    from tensorflow.python.saved_model import save_context

    return save_context.in_save_context()


def forward_mode_watches(tensors):
    """Whether an active `tf.autodiff.ForwardAccumulator` has a tangent for any of
    `tensors` (a flat list of tensors).

    Public: an accumulator answers `jvp(tensor)` only to whoever holds it. A layer
    whose kernel has a hand-written reverse-mode gradient reads this to run a
    differentiable path instead when forward mode is watching. It is what
    `tf.function` itself calls to pass tangents into a traced function.

    Returns:
        bool.
    """
    from tensorflow.python.eager import forwardprop_util

    return bool(forwardprop_util.pack_tangents(tensors).tangents)


def in_xla_context():
    """Whether the function being traced now is compiled by XLA as a whole
    (`tf.function(jit_compile=True)`, or inside one).

    Public: none. `CompileWhenRepaid` reads it: inside an XLA program both of its
    branches would be compiled anyway, and its `tf.timestamp` has no XLA kernel.
    It is the test `tf.function` itself makes before compiling a nested function.

    Returns:
        bool.
    """
    from tensorflow.python.framework import ops
    from tensorflow.python.ops import control_flow_util

    return control_flow_util.GraphOrParentsInXlaContext(ops.get_default_graph())
