"""Helpers the structure layers share: turning a cell or an RNN layer into a fresh
recurrent layer with chosen `return_sequences` / `return_state` / `go_backwards`."""

import copy

import keras

from keras_rnn_kit.layers.rnn import RNN


def is_rnn_cell(obj):
    """Whether `obj` follows the Keras cell protocol (`call` and `state_size`)."""
    return (
        isinstance(obj, keras.layers.Layer)
        and hasattr(obj, "state_size")
        and not hasattr(obj, "return_sequences")
    )


def cell_output_size(cell):
    """The width of a cell's output: `output_size`, else its first state size."""
    output_size = getattr(cell, "output_size", None)
    if output_size is None:
        state_size = cell.state_size
        output_size = state_size if isinstance(state_size, int) else state_size[0]
    return int(output_size)


def serialize_rnn(name, obj):
    """Serializes a cell or a sequence-to-sequence recurrent layer.

    Args:
        name: argument name shown in errors.
        obj: a cell (kit or Keras) or a layer with `return_sequences`,
            `return_state` and `go_backwards` (`keras.layers.RNN`/`LSTM`/...,
            `StackedRNN`, `BidirectionalRNN`), or the serialized dict of one.

    Returns:
        The `keras.saving.serialize_keras_object` dict of `obj`.
    """
    if isinstance(obj, dict) and "config" in obj:
        return copy.deepcopy(obj)
    if not isinstance(obj, keras.layers.Layer) or not (
        is_rnn_cell(obj) or hasattr(obj, "return_sequences")
    ):
        raise ValueError(
            f"`{name}` must be a recurrent cell (with `state_size`) or a recurrent "
            "layer (with `return_sequences`, e.g. keras.layers.LSTM, StackedRNN), "
            f"got {obj!r} ({type(obj).__name__})."
        )
    if obj.built:
        raise ValueError(
            f"`{name}` must not be built yet: the layer builds fresh copies from its "
            f"config, so the weights of the built {type(obj).__name__} "
            f"'{obj.name}' would be lost. Pass a new, unbuilt instance."
        )
    return keras.saving.serialize_keras_object(obj)


def rnn_from_config(serialized, name, dtype=None, **overrides):
    """Builds a new recurrent layer from `serialize_rnn`'s output.

    A cell is wrapped in `keras_rnn_kit.layers.RNN(cell, **overrides)`; a layer
    is rebuilt from its config with `overrides` replacing the matching entries.
    `go_backwards` in `overrides` is XOR-ed with the layer's own flag, so a
    backward copy of a backward layer runs forwards (the
    `keras.layers.Bidirectional` rule), and `zero_output_for_mask` is dropped for
    layers without that option (`StackedRNN` always zeros its padded outputs).

    Args:
        serialized: dict from `serialize_rnn`.
        name: name of the new layer.
        dtype: dtype policy of the `RNN` wrapping a cell (the wrapper is the
            caller's own sublayer, so it follows the caller's policy); a layer
            keeps the dtype of its config.
        **overrides: `return_sequences`, `return_state`, `go_backwards`,
            `zero_output_for_mask`.

    Returns:
        A new, unbuilt layer.
    """
    serialized = copy.deepcopy(serialized)
    config = serialized["config"]
    if "return_sequences" not in config:
        cell = keras.saving.deserialize_keras_object(serialized)
        return RNN(cell, name=name, dtype=dtype, **overrides)
    if "zero_output_for_mask" not in config:
        overrides.pop("zero_output_for_mask", None)
    if "go_backwards" in overrides:
        overrides["go_backwards"] = bool(config.get("go_backwards")) != bool(
            overrides["go_backwards"]
        )
    config.update(overrides)
    config["name"] = name
    return keras.saving.deserialize_keras_object(serialized)
