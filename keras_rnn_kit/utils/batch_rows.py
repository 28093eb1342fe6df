"""Any batch, one row at a time: what LiteRT's recurrent `WHILE` loop allows."""

import tensorflow as tf


def map_rows(function, inputs, output_spec):
    """Runs `function` on each row of `inputs` at batch 1 and stacks the results.

    A recurrent `WHILE` loop converts to LiteRT builtins only with a static batch
    (`TensorListReserve` needs a static element shape), so the application
    tasks' TFLite signatures keep the batch axis unknown and call their model on
    one row at a time with `tf.map_fn`: a call of 8 rows does the work of 8
    calls of 1.

    Args:
        function: takes one batch-1 tensor per input (`row[None]`) and returns a
            tensor whose first axis is that batch of 1.
        inputs: a tensor or a tuple of tensors with the same first (batch) axis.
        output_spec: a `tf.TensorSpec` of one row's output (without the batch
            axis); results are cast to its dtype.

    Returns:
        The stacked outputs, `(batch, *output_spec.shape)`.

    Example:

    >>> import tensorflow as tf
    >>> spec = tf.TensorSpec((2,), tf.float32)
    >>> map_rows(lambda x, y: x + y, (tf.ones((3, 2)), tf.ones((3, 2))), spec).shape
    TensorShape([3, 2])
    """
    rows = inputs if isinstance(inputs, tuple) else (inputs,)

    def row_output(row):
        output = function(*(value[None] for value in row))
        return tf.cast(output[0], output_spec.dtype)

    return tf.map_fn(row_output, rows, fn_output_signature=output_spec)
