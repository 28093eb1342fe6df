"""The base of every application task: a backbone, a preprocessor, their config."""

import json
import os

import keras
import tensorflow as tf

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

    Subclasses set `self.backbone` and `self.preprocessor` in `__init__`, whose
    keyword arguments must match their `get_config` keys.
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

    def fit(self, x=None, y=None, **kwargs):
        """`keras.Model.fit`, taking a `tf.data.Dataset` as shuffled already.

        Keras ignores `shuffle` for a dataset (the kit's `make_dataset`
        functions shuffle it) but warns about its default `shuffle=True` on
        every call; the default here is `False` for a dataset.
        """
        if isinstance(x, tf.data.Dataset):
            kwargs.setdefault("shuffle", False)
        return super().fit(x, y, **kwargs)

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
