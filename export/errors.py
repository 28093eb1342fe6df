"""Errors the exporters raise, so callers can tell export problems apart."""


class ExportError(ValueError):
    """An export that cannot be served as asked: forbidden or unlowerable ops.

    Args:
        message: what went wrong and what to do about it.
        ops: the offending op names (TensorFlow or TFLite), in order.

    Example:

    >>> error = ExportError("`PyFunc` cannot be served.", ops=["PyFunc"])
    >>> error.ops
    ['PyFunc']
    """

    def __init__(self, message: str, ops=()):
        super().__init__(message)
        self.ops = list(ops)
