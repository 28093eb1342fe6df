"""SavedModel export for TF Serving: versioned folders, vocabularies, server configs."""

import os
import re
import shutil
import tempfile

import tensorflow as tf

from keras_rnn_kit.data.text_preprocessor import OVERFLOW_MODES
from keras_rnn_kit.export.ops import check_saved_model_ops
from keras_rnn_kit.export.signatures import check_built
from keras_rnn_kit.export.signatures import iter_layers
from keras_rnn_kit.export.signatures import resolve_signatures
from keras_rnn_kit.export.signatures import returning_dict
from keras_rnn_kit.export.signatures import step_loops
from keras_rnn_kit.export.signatures import text_overflow
from keras_rnn_kit.export.warmup import check_warmup_inputs
from keras_rnn_kit.export.warmup import warmup_inputs
from keras_rnn_kit.export.warmup import write_warmup_file
from keras_rnn_kit.utils.validation import check_choice
from keras_rnn_kit.utils.validation import check_positive_int

MODELS_CONFIG = "models.config"
BATCHING_CONFIG = "batching_parameters.txt"

_MODELS_CONFIG_TEMPLATE = """model_config_list {{
  config {{
    name: "{name}"
    base_path: "{base_path}"
    model_platform: "tensorflow"
    model_version_policy {{ latest {{ num_versions: 1 }} }}
  }}
}}
"""

_BATCHING_CONFIG = """max_batch_size { value: 64 }
batch_timeout_micros { value: 2000 }
max_enqueued_batches { value: 100 }
num_batch_threads { value: 4 }
pad_variable_length_inputs: true
"""


def existing_versions(base_dir: str) -> list[int]:
    """Returns the integer version folders under `base_dir`, sorted."""
    if not os.path.isdir(base_dir):
        return []
    return sorted(
        int(name)
        for name in os.listdir(base_dir)
        if name.isdigit() and os.path.isdir(os.path.join(base_dir, name))
    )


def _vocabulary_layers(model) -> list:
    """Finds the layers with a `get_vocabulary()` (StringLookup, TextVectorization,
    TextPreprocessor, SentimentPreprocessor), each once.

    A layer inside another one with the same vocabulary (a `TextVectorization`'s
    `StringLookup`, a `SentimentPreprocessor`'s `TextPreprocessor`) is left to
    the outer layer, so no vocabulary is written twice under two names.
    """
    found = [
        layer
        for layer in iter_layers(model)
        if layer is not model and callable(getattr(layer, "get_vocabulary", None))
    ]
    tokens = {id(layer): _tokens(layer) for layer in found}
    inner = {
        id(nested)
        for layer in found
        for nested in iter_layers(layer)
        if nested is not layer and tokens.get(id(nested)) == tokens[id(layer)]
    }
    return [layer for layer in found if id(layer) not in inner]


def _tokens(layer) -> list[str]:
    return [
        token.decode("utf-8") if isinstance(token, bytes) else str(token)
        for token in layer.get_vocabulary()
    ]


def _write_vocabularies(model, folder: str) -> dict:
    """Writes one `<layer>.vocab.txt` per lookup layer; returns `{file: Asset}`."""
    assets = {}
    for layer in sorted(_vocabulary_layers(model), key=lambda layer: layer.name):
        tokens = _tokens(layer)
        bad = [token for token in tokens if "\n" in token]
        if bad:
            raise ValueError(
                f"Layer {layer.name!r} has tokens containing a newline ({bad[:3]}), "
                "which a one-token-per-line vocabulary asset cannot hold."
            )
        stem = re.sub(r"[^A-Za-z0-9_.-]", "_", layer.name)
        name, count = f"{stem}.vocab.txt", 1
        while name in assets:  # two layers of one name (set by hand)
            name, count = f"{stem}_{count}.vocab.txt", count + 1
        path = os.path.join(folder, name)
        with open(path, "w", encoding="utf-8") as f:
            f.write("".join(token + "\n" for token in tokens))
        assets[name] = tf.saved_model.Asset(path)
    return assets


def write_serving_configs(base_dir: str, model_name: str, serving_base_path: str):
    """Writes `models.config` and `batching_parameters.txt` next to the versions."""
    with open(os.path.join(base_dir, MODELS_CONFIG), "w") as f:
        f.write(
            _MODELS_CONFIG_TEMPLATE.format(name=model_name, base_path=serving_base_path)
        )
    with open(os.path.join(base_dir, BATCHING_CONFIG), "w") as f:
        f.write(_BATCHING_CONFIG)


def _write_warmup(exported: str, function, model_name: str, warmup) -> None:
    """Checks the `warmup` requests (see `export_saved_model`) and writes them."""
    if warmup is False or warmup is None:
        return
    if warmup is True:
        requests = warmup_inputs(function)
    else:
        requests = [warmup] if isinstance(warmup, dict) else list(warmup)
    for inputs in requests:
        check_warmup_inputs(function, "serving_default", inputs)
    write_warmup_file(exported, model_name, requests)


def export_saved_model(
    model,
    base_dir: str,
    version: int | None = None,
    signatures: dict | None = None,
    overwrite: bool = False,
    *,
    model_name: str | None = None,
    serving_base_path: str | None = None,
    warmup: bool | dict | list[dict] = True,
    overflow: str = "truncate",
) -> str:
    """Exports `model` as `base_dir/<version>/` for TF Serving.

    The folder holds a SavedModel whose `serving_default` signature takes raw
    inputs where the model provides them (the `serving_signatures()` protocol,
    see `keras_rnn_kit.export`) and returns a dict of named outputs; every lookup
    layer's vocabulary is saved as `assets/<layer>.vocab.txt`. The export is
    written to a temporary folder, checked to use only core TensorFlow ops
    (`list_saved_model_ops`) and only then moved into place. `base_dir` also
    gets `models.config` (for `tensorflow_model_server --model_config_file`; it
    serves the newest version only: `latest { num_versions: 1 }`) and
    `batching_parameters.txt` (with `pad_variable_length_inputs: true`).
    The version folder gets `assets.extra/tf_serving_warmup_requests`, the
    requests TF Serving replays before the version serves (`export.warmup`);
    each is run through `serving_default` first, since a failing warmup
    request stops TF Serving from loading the version.

    Served text that is longer than a text preprocessor's `sequence_length`
    is cut by default (`overflow="truncate"`): with TF Serving's
    `--enable_batching`, one over-long request would otherwise fail every
    request batched with it. Every `TextPreprocessor` and
    `SentimentPreprocessor` of `model` traces the signatures with `overflow`;
    their own settings (what `fit` and `predict` do) are left unchanged.

    Args:
        model: a built `keras.Model`.
        base_dir: the model's base path (TF Serving's `--model_base_path`).
        version: int > 0; default: one more than the highest existing version.
        signatures: optional `{name: tf.function}` with named input signatures;
            must include `"serving_default"`.
        overwrite: replace an existing `base_dir/<version>/`.
        model_name: the name clients use in URLs; default `basename(base_dir)`.
        serving_base_path: `base_path` written to `models.config`; default
            `/models/<model_name>`, where the documented `docker run` mounts it.
        warmup: `True` for `serving_default` requests of 1 and 8 rows (or its
            fixed batch) built from its input specs (`warmup.spec_samples`);
            a dict `{input: array}` or a list of them for your own requests;
            `False` for no warmup file.
        overflow: what the served graphs do with text longer than a text
            preprocessor's `sequence_length` (or a review with more than
            `max_sentences` sentences): `"truncate"` (default: cut it and count
            it in the layer's `truncated_count` weight) or `"error"` (fail the
            request, and with batching the whole batch, with
            `InvalidArgumentError`).

    Returns:
        The path of the new version folder.

    Example:

    >>> import keras
    >>> from keras_rnn_kit.cells import LSTMCell
    >>> inputs = keras.Input((None, 3), name="features")
    >>> outputs = keras.layers.Dense(2, name="scores")(
    ...     keras.layers.RNN(LSTMCell(4))(inputs))
    >>> model = keras.Model(inputs, outputs)
    >>> import os, tempfile
    >>> base = os.path.join(tempfile.mkdtemp(), "tagger")
    >>> os.path.relpath(export_saved_model(model, base), base)
    '1'
    >>> sorted(os.listdir(base))
    ['1', 'batching_parameters.txt', 'models.config']
    >>> os.listdir(os.path.join(base, "1", "assets.extra"))
    ['tf_serving_warmup_requests']
    """
    check_built(model)
    base_dir = os.path.abspath(os.fspath(base_dir))
    if version is None:
        version = (existing_versions(base_dir) or [0])[-1] + 1
    version = check_positive_int("version", version)
    check_choice("overflow", overflow, OVERFLOW_MODES)
    model_name = model_name or os.path.basename(base_dir)
    target = os.path.join(base_dir, str(version))
    if os.path.exists(target) and not overwrite:
        raise FileExistsError(
            f"`base_dir` already holds version {version} ({target}); pass "
            "`overwrite=True` to replace it or another `version`."
        )
    # Kit RNN layers trace their step loop: stock TF Serving runs no XLA.
    with step_loops(model), text_overflow(model, overflow):
        functions = {
            name: returning_dict(model, function)
            for name, function in resolve_signatures(
                model, signatures, "saved_model"
            ).items()
        }
        os.makedirs(base_dir, exist_ok=True)
        staging = tempfile.mkdtemp(prefix=f".staging-{version}-", dir=base_dir)
        try:
            exported = os.path.join(staging, "saved_model")
            module = tf.Module()
            module.model = model
            module.vocabularies = _write_vocabularies(model, staging)
            tf.saved_model.save(module, exported, signatures=functions)
            check_saved_model_ops(exported)
            _write_warmup(exported, functions["serving_default"], model_name, warmup)
            if os.path.exists(target):
                shutil.rmtree(target)
            os.replace(exported, target)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    write_serving_configs(
        base_dir, model_name, serving_base_path or f"/models/{model_name}"
    )
    return target
