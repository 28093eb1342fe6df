"""Argument checks whose errors name the argument, what was expected and what came.

Every public constructor and entry point in the kit validates its arguments with these
helpers first, so a user sees `units must be a positive integer, got -3 (int)` instead
of a shape error deep inside a `tf.function`.
"""

from collections.abc import Iterable

import numpy as np


def _describe(value) -> str:
    return f"{value!r} ({type(value).__name__})"


def check_positive_int(name: str, value) -> int:
    """Returns `value` if it is an integer > 0, else raises `ValueError`."""
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(
            f"`{name}` must be a positive integer, got {_describe(value)}."
        )
    return value


def check_non_negative_int(name: str, value) -> int:
    """Returns `value` if it is an integer >= 0, else raises `ValueError`."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(
            f"`{name}` must be a non-negative integer, got {_describe(value)}."
        )
    return value


def check_rate(name: str, value) -> float:
    """Returns `value` as a float if it is a probability in [0, 1)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"`{name}` must be a float in [0, 1), got {_describe(value)}.")
    if not 0.0 <= value < 1.0:
        raise ValueError(f"`{name}` must be a float in [0, 1), got {_describe(value)}.")
    return float(value)


def check_fraction(name: str, value) -> float:
    """Returns `value` as a float if it lies strictly between 0 and 1."""
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float | np.floating)
        or not 0.0 < value < 1.0
    ):
        raise ValueError(f"`{name}` must be a float in (0, 1), got {value!r}.")
    return float(value)


def check_choice(name: str, value, choices: Iterable):
    """Returns `value` if it is one of `choices`, else raises `ValueError`."""
    choices = tuple(choices)
    if value not in choices:
        accepted = ", ".join(repr(c) for c in choices)
        raise ValueError(f"`{name}` must be one of {accepted}; got {_describe(value)}.")
    return value


def check_rank(name: str, shape, expected_ranks, what: str = "") -> None:
    """Raises `ValueError` unless `len(shape)` is one of `expected_ranks`.

    Args:
        name: argument name shown in the error.
        shape: a shape tuple or `TensorShape` (unknown rank passes).
        expected_ranks: an int or an iterable of ints.
        what: optional layout, e.g. `"(batch, time, features)"`.
    """
    if shape is None:
        return
    shape = tuple(shape)
    ranks = (
        (expected_ranks,) if isinstance(expected_ranks, int) else tuple(expected_ranks)
    )
    if len(shape) not in ranks:
        layout = f" {what}" if what else ""
        wanted = " or ".join(str(r) for r in ranks)
        raise ValueError(
            f"`{name}` must have rank {wanted}{layout}, got rank {len(shape)} "
            f"with shape {shape}."
        )


def check_floating_dtype(name: str, dtype) -> None:
    """Raises `TypeError` unless `dtype` is a floating-point dtype name."""
    dtype_name = str(getattr(dtype, "name", dtype))
    if "float" not in dtype_name:
        raise TypeError(
            f"`{name}` must be a floating-point tensor, got dtype {dtype_name}. "
            "Embed integer token ids first (e.g. keras.layers.Embedding)."
        )
