"""Helpers the test modules share: config round trips, fresh-process reloads."""

import copy
import os
import subprocess
import sys
import textwrap

import keras
import numpy as np

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_python(code: str, timeout: float = 240.0, env: dict | None = None) -> str:
    """Runs `code` in a fresh Python process and returns its stdout.

    Raises `AssertionError` with the child's stderr if it exits non-zero.
    """
    child_env = dict(os.environ)
    child_env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    child_env.update(env or {})
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=REPO_ROOT,
        env=child_env,
    )
    assert result.returncode == 0, (
        f"child process failed ({result.returncode}):\n{result.stderr[-4000:]}"
    )
    return result.stdout


def assert_config_round_trip(layer):
    """`from_config(get_config())` rebuilds a layer with the same config."""
    config = layer.get_config()
    # Some Keras from_config methods pop keys from the dict they get: pass a copy.
    clone = layer.__class__.from_config(copy.deepcopy(config))
    assert clone.get_config() == config
    return clone


def assert_reloads_in_fresh_process(model, inputs, tmp_path, atol=1e-6):
    """Saves `model` as `.keras`, reloads it in a new process without
    `custom_objects` (only `import keras_rnn_kit`) and checks the outputs match.

    Args:
        model: a built `keras.Model`.
        inputs: a numpy array or a dict of numpy arrays.
        tmp_path: pytest's `tmp_path`.
        atol: tolerance on the outputs.
    """
    model_path = os.path.join(tmp_path, "model.keras")
    inputs_path = os.path.join(tmp_path, "inputs.npz")
    outputs_path = os.path.join(tmp_path, "outputs.npz")
    model.save(model_path)
    named = inputs if isinstance(inputs, dict) else {"__single__": inputs}
    np.savez(inputs_path, **named)
    expected = keras.tree.flatten(model(inputs))
    run_python(
        f"""
        import keras, numpy as np
        import keras_rnn_kit  # registers the kit's classes; no custom_objects
        model = keras.saving.load_model({model_path!r})
        data = dict(np.load({inputs_path!r}))
        inputs = data["__single__"] if "__single__" in data else data
        outputs = keras.tree.flatten(model(inputs))
        np.savez({outputs_path!r}, *[np.asarray(o) for o in outputs])
        """
    )
    reloaded = np.load(outputs_path)
    assert len(reloaded.files) == len(expected)
    for i, want in enumerate(expected):
        np.testing.assert_allclose(reloaded[f"arr_{i}"], np.asarray(want), atol=atol)


def xla_functions(saved_model_dir):
    """Names of the functions in a SavedModel's graph that XLA must compile
    (`_XlaMustCompile`: stock TF Serving and LiteRT refuse them)."""
    from tensorflow.core.protobuf import saved_model_pb2

    proto = saved_model_pb2.SavedModel()
    with open(os.path.join(saved_model_dir, "saved_model.pb"), "rb") as f:
        proto.ParseFromString(f.read())
    return [
        function.signature.name
        for meta_graph in proto.meta_graphs
        for function in meta_graph.graph_def.library.function
        if function.attr["_XlaMustCompile"].b
    ]


def tiny_application(name):
    """`(recipe, prepared, model)`: application `name`'s registered recipe, its
    tiny offline data (seed 0) and the tiny compiled model it builds."""
    from keras_rnn_kit.applications import get_application

    recipe = get_application(name)
    prepared = recipe.load(None, tiny=True, seed=0)
    return recipe, prepared, recipe.build(prepared, tiny=True)
