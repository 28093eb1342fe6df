"""How many epochs a recipe trains: its own, or more for a small training set."""

import math

from keras_rnn_kit.utils.validation import check_positive_int

# The most epochs `epochs_for_min_steps` raises a small training set to: each
# epoch writes a backup, so a 20-example file must not run 2,400 of them.
MAX_DEFAULT_EPOCHS = 500


def epochs_for_min_steps(count, batch_size, epochs, min_steps):
    """`epochs`, or more where `epochs` passes over `count` examples would take
    fewer than `min_steps` optimizer steps of `batch_size` (at most
    `MAX_DEFAULT_EPOCHS`).

    Args:
        count: training examples; <= 0 when unknown (then `epochs`).
        batch_size: int > 0, the global batch size.
        epochs: int > 0, the recipe's epochs for a large training set.
        min_steps: int >= 0, the fewest optimizer steps of a run (0: no rule).

    Returns:
        int > 0, the epochs to train.

    Example:

    >>> epochs_for_min_steps(1_000, 64, epochs=12, min_steps=2_400)  # 16 steps
    150
    >>> epochs_for_min_steps(100_000, 64, epochs=12, min_steps=2_400)
    12
    >>> epochs_for_min_steps(20, 64, epochs=12, min_steps=2_400)  # capped
    500
    """
    check_positive_int("epochs", epochs)
    if not min_steps or count <= 0:
        return epochs
    steps_per_epoch = math.ceil(count / check_positive_int("batch_size", batch_size))
    needed = math.ceil(min_steps / steps_per_epoch)
    return max(epochs, min(needed, MAX_DEFAULT_EPOCHS))
