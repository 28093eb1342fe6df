"""Dtypes for the few layers that must not compute in float16."""

import keras


def float32_under_mixed_precision():
    """`"float32"` under a mixed policy (float16 or bfloat16 compute, float32
    variables), else None (the layer takes the global policy).

    For layers whose sums overflow float16: an L2 norm of 64 features of 100
    squares to 640,000, past float16's 65,504, and `UnitNormalization` then
    returns zeros. Keras's mixed-precision guide keeps such layers in float32.

    Example:

    >>> import keras
    >>> float32_under_mixed_precision() is None  # the default float32 policy
    True
    >>> keras.config.set_dtype_policy("mixed_float16")
    >>> float32_under_mixed_precision()
    'float32'
    >>> keras.config.set_dtype_policy("float32")
    """
    policy = keras.config.dtype_policy()
    return "float32" if policy.compute_dtype != policy.variable_dtype else None
