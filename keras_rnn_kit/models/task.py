"""The base of every application task: a backbone, a preprocessor, their config."""

import json
import os

import keras
import tensorflow as tf

from keras_rnn_kit.models import raw_samples
from keras_rnn_kit.training.multi_worker import FirstReplicaBuild


@keras.saving.register_keras_serializable(package="keras_rnn_kit")
class Task(FirstReplicaBuild, keras.Model):
    """Base class of the kit's application tasks (the keras-hub split).

    A task wraps a `backbone` (a functional model over named inputs) and an optional
    `preprocessor` (raw strings / images to those inputs), adds its head, `compile()`
    defaults and an inference API. This base serializes the backbone and the
    preprocessor, so a subclass's `get_config` only adds its own arguments:
    `return {**super().get_config(), "num_classes": self.num_classes}`. It also
    builds from the first replica's batch under a multi-replica strategy
    (`FirstReplicaBuild`), since task inputs include bool `padding_mask`s.

    **Raw inputs.** `fit`, `evaluate` and `predict` take either the model's
    named inputs (a dict, or a `tf.data.Dataset` of them) or raw samples: lists
    or arrays of strings and images (or a dict of them, one entry per sample),
    or a batched `tf.data.Dataset` of raw `(x, y)` elements. Raw samples are
    sliced, shuffled each epoch (`fit`), batched (`batch_size`, default 32) and
    preprocessed inside the `tf.data` pipeline by `preprocess_samples`; array
    labels are checked first by `check_labels`, so a bad label raises naming
    `y` before training starts.

    **One `compile()` convention.** `compile(optimizer="auto", loss="auto",
    metrics="auto")`: each `"auto"` takes the task's `default_optimizer()`,
    `default_loss()` (sparse cross-entropy from logits unless the task says
    otherwise) or `default_metrics()`; anything else is passed to Keras as is.

    Subclasses set `self.backbone` and `self.preprocessor` in `__init__`, whose
    keyword arguments must match their `get_config` keys, and implement
    `preprocess_samples` (and `check_labels`) for raw input.
    """

    def get_config(self):
        preprocessor = self.preprocessor
        return {
            "name": self.name,
            "trainable": self.trainable,
            "backbone": keras.saving.serialize_keras_object(self.backbone),
            "preprocessor": None
            if preprocessor is None
            else keras.saving.serialize_keras_object(preprocessor),
        }

    def compile(self, optimizer="auto", loss="auto", metrics="auto", **kwargs):
        """`keras.Model.compile`; `"auto"` takes the task's own default
        (`default_optimizer()`, `default_loss()`, `default_metrics()`)."""
        if _is_auto(optimizer):
            optimizer = self.default_optimizer()
        if _is_auto(loss):
            loss = self.default_loss()
        if _is_auto(metrics):
            metrics = self.default_metrics()
        super().compile(optimizer=optimizer, loss=loss, metrics=metrics, **kwargs)

    def default_optimizer(self):
        """`compile()`'s default optimizer: Adam with Keras's defaults."""
        return keras.optimizers.Adam()

    def default_loss(self):
        """`compile()`'s default loss: sparse cross-entropy from logits."""
        return keras.losses.SparseCategoricalCrossentropy(from_logits=True)

    def default_metrics(self):
        """`compile()`'s default metrics (each task names its own)."""
        return []

    def preprocess_samples(self, x, y=None, sample_weight=None):
        """One batch of raw samples -> the model's inputs, labels and weights.

        Runs inside `tf.data` on each batch of raw inputs that `fit`,
        `evaluate` and `predict` receive; each task implements it with its
        preprocessor (see its class docstring for the raw forms it takes).

        Returns:
            `keras.utils.pack_x_y_sample_weight(inputs, labels, weights)`.
        """
        raise NotImplementedError(
            f"{type(self).__name__} does not take raw inputs; pass its named "
            f"inputs {sorted(self._input_names())}."
        )

    def check_labels(self, y):
        """Checks (and converts) raw labels given as arrays before batching, so
        that a bad label raises naming `y` before training starts. The base
        returns `y` unchanged."""
        return y

    def check_label_batch(self, y):
        """In-graph twin of `check_labels` for one batch of labels: asserts
        (and converts) them inside `tf.data`, for raw datasets (in
        `preprocess_samples`) and for datasets of preprocessed inputs alike.
        The base returns `y` unchanged."""
        return y

    def fit(
        self,
        x=None,
        y=None,
        batch_size=None,
        sample_weight=None,
        validation_data=None,
        shuffle=True,
        **kwargs,
    ):
        """`keras.Model.fit`, also taking raw inputs (see `preprocess_samples`).

        Raw samples are shuffled every epoch when `shuffle` (the default). A
        `tf.data.Dataset` is taken as shuffled already: Keras ignores `shuffle`
        for one but warns about its default on every call.
        """
        if self._is_raw(x):
            x = self._raw_batches(x, y, sample_weight, batch_size, shuffle, True)
            y = sample_weight = None
        elif isinstance(x, tf.data.Dataset):
            x = self._with_checked_labels(x)
        if isinstance(x, tf.data.Dataset):
            shuffle, batch_size = False, None
        if validation_data is not None and not isinstance(
            validation_data, tf.data.Dataset
        ):
            parts = raw_samples.validation_parts(validation_data)
            if self._is_raw(parts[0]):
                validation_data = self._raw_batches(*parts, batch_size, False, True)
        elif validation_data is not None and self._is_raw(validation_data):
            validation_data = self._raw_batches(validation_data)
        return super().fit(
            x,
            y,
            batch_size=batch_size,
            sample_weight=sample_weight,
            validation_data=validation_data,
            shuffle=shuffle,
            **kwargs,
        )

    def evaluate(self, x=None, y=None, batch_size=None, sample_weight=None, **kwargs):
        """`keras.Model.evaluate`, also taking raw inputs."""
        if self._is_raw(x):
            x = self._raw_batches(x, y, sample_weight, batch_size, False, True)
            y = sample_weight = batch_size = None
        elif isinstance(x, tf.data.Dataset):
            x = self._with_checked_labels(x)
        return super().evaluate(
            x, y, batch_size=batch_size, sample_weight=sample_weight, **kwargs
        )

    def predict(self, x, batch_size=None, **kwargs):
        """`keras.Model.predict`, also taking raw inputs: `x` alone, or a pair
        `(x, y)` for a task whose model reads its targets (teacher forcing:
        translation, captioning)."""
        if self._is_raw(x):
            pair = isinstance(x, tuple) and len(x) == 2
            x = self._raw_batches(*(x if pair else (x,)), batch_size=batch_size)
            batch_size = None
        return super().predict(x, batch_size=batch_size, **kwargs)

    def _with_checked_labels(self, dataset):
        """A dataset of preprocessed `(inputs, y[, weight])` with
        `check_label_batch` applied to `y` (as is where the task checks none)."""
        if type(self).check_label_batch is Task.check_label_batch:
            return dataset

        def check(*element):
            x, y, weight = keras.utils.unpack_x_y_sample_weight(element)
            if y is not None:
                y = self.check_label_batch(y)
            return keras.utils.pack_x_y_sample_weight(x, y, weight)

        return dataset.map(check, num_parallel_calls=tf.data.AUTOTUNE)

    def _require_preprocessor(self, what):
        if self.preprocessor is None:
            raise ValueError(
                f"`{what}` needs a `preprocessor`, and this {type(self).__name__} "
                "was built with preprocessor=None: pass one to the constructor, or "
                f"feed the model's named inputs {sorted(self._input_names())}."
            )

    def _input_names(self):
        inputs = self.input
        return set(inputs) if isinstance(inputs, dict) else set()

    def _is_raw(self, x):
        return x is not None and not raw_samples.holds_model_inputs(
            x, self._input_names()
        )

    def _raw_batches(
        self,
        x,
        y=None,
        sample_weight=None,
        batch_size=None,
        shuffle=False,
        needs_labels=False,
    ):
        if not isinstance(x, tf.data.Dataset):
            if y is not None:
                y = self.check_labels(y)
            elif needs_labels:
                raise ValueError("`y` is required with raw `x` (one label per sample).")
        return raw_samples.raw_batches(
            self.preprocess_samples, x, y, sample_weight, batch_size, shuffle
        )

    def text_assets(self):
        """What a device needs next to the task's `.tflite`, as a JSON-ready
        dict: the text settings (vocabulary, tokenizer, lengths), labels and
        image size. `format` names the application. Each task implements it."""
        raise NotImplementedError(
            f"{type(self).__name__} does not implement `text_assets()`."
        )

    def export_text_assets(self, path):
        """Writes `text_assets()` as UTF-8 JSON to `path` (a `.json` file).

        Args:
            path: the `.json` file to write.

        Returns:
            `path`.
        """
        path = os.fspath(path)
        if not path.endswith(".json"):
            raise ValueError(f"`path` must name a .json file, got {path!r}.")
        assets = self.text_assets()
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            json.dump(assets, f, ensure_ascii=False, indent=1)
        return path

    def compile_from_config(self, config):
        """Compiles a reloaded task with the optimizer, loss and metrics it was
        saved with (Keras skips this for a subclass that overrides `compile`),
        so `keras.saving.load_model` returns a task ready to `fit` or `evaluate`.
        """
        self.compile(**keras.saving.deserialize_keras_object(config))
        if self.built:
            self.optimizer.build(self.trainable_variables)

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["backbone"] = keras.saving.deserialize_keras_object(config["backbone"])
        if config.get("preprocessor") is not None:
            config["preprocessor"] = keras.saving.deserialize_keras_object(
                config["preprocessor"]
            )
        return cls(**config)


def _is_auto(value):
    return isinstance(value, str) and value == "auto"
