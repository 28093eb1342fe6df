"""Recurrent cells that follow the textbook equations (see each class docstring)."""

from keras_rnn_kit.cells.additive_rnn_cell import AdditiveRNNCell
from keras_rnn_kit.cells.lstm_cell import LSTMCell
from keras_rnn_kit.cells.original_lstm_cell import OriginalLSTMCell
from keras_rnn_kit.cells.recurrent_cell import RecurrentCell
from keras_rnn_kit.cells.vanilla_rnn_cell import VanillaRNNCell

CELLS = {
    "vanilla": VanillaRNNCell,
    "additive": AdditiveRNNCell,
    "original_lstm": OriginalLSTMCell,
    "lstm": LSTMCell,
}


def get_cell(name, units, **kwargs):
    """Builds a kit cell from its short name.

    Args:
        name: one of `"vanilla"`, `"additive"`, `"original_lstm"`, `"lstm"`.
        units: int > 0.
        **kwargs: passed to the cell constructor.

    Returns:
        A new cell instance.

    Example:

    >>> from keras_rnn_kit.cells import get_cell
    >>> get_cell("original_lstm", 8).state_size
    [8, 8]
    """
    if name not in CELLS:
        raise ValueError(
            f"`name` must be one of {', '.join(repr(k) for k in CELLS)}; got {name!r}."
        )
    return CELLS[name](units, **kwargs)


__all__ = [
    "AdditiveRNNCell",
    "CELLS",
    "LSTMCell",
    "OriginalLSTMCell",
    "RecurrentCell",
    "VanillaRNNCell",
    "get_cell",
]
