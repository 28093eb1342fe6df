"""The base of the per-application recipes.

A recipe is the one place that holds an application's defaults and turns data into
a trained task. `keras_rnn_kit.applications` registers one per application, and
`rnnkit train / evaluate / predict`, `rnnkit demo`, the examples and the README all
go through it:

1. `load(data, tiny, seed, **data_options) -> PreparedData`: reads `--data` (or the
   offline default), splits it, builds the preprocessor from the training split
   and the training examples `keras_rnn_kit.training.train` reads.
2. `build(prepared, tiny, epochs, batch_size) -> keras.Model`: the compiled,
   untrained task, sharing `prepared`'s preprocessor (called inside the
   distribution strategy's scope).
3. `evaluate(model, test) -> {metric: float}` on the held-out split.
4. `predict(model, inputs, options) -> [line]`: one output line per command-line
   input.

Recipes are frozen dataclasses: the fields are the defaults, and
`dataclasses.replace(recipe, epochs=3)` gives a variant.

Example:

>>> from keras_rnn_kit.applications import get_application
>>> recipe = get_application("translation")
>>> recipe.epochs, recipe.default_epochs(1_000, 64)
(12, 300)
"""

import abc
import dataclasses
from typing import ClassVar

import tensorflow as tf

from keras_rnn_kit.training.run_length import epochs_for_min_steps
from keras_rnn_kit.utils.validation import check_fraction


@dataclasses.dataclass
class PreparedData:
    """What a recipe's `load` returns; each recipe adds its own typed fields.

    Attributes:
        description: one line naming the data (printed by the CLI).
        train: the training examples `training.train` reads (a `tf.data` set of
            unbatched examples, or numpy arrays).
        test: the held-out split the recipe's `evaluate` reads.
        notes: lines printed after `description`: what the data checks found
            and the settings chosen from the data.
        epochs: the recipe's default epochs for this data, where they differ
            from `Recipe.epochs` (`None`: they do not).
    """

    description: str
    train: object
    test: object
    notes: list[str] = dataclasses.field(default_factory=list)
    # Keyword-only, so that subclasses' positional fields follow `notes`.
    epochs: int | None = dataclasses.field(default=None, kw_only=True)


@dataclasses.dataclass(frozen=True)
class Recipe(abc.ABC):
    """One application's defaults and its data -> task -> metrics steps.

    Subclasses set `name`, `data_help`, `options` and `data_options`, and
    implement `load`, `build`, `evaluate` and `predict` (see the module
    docstring).

    Attributes:
        epochs: default epochs of a full run.
        batch_size: default global batch size.
        min_steps: with the default epochs, a full run takes at least this many
            optimizer steps: a small training set gets more epochs, up to
            `training.run_length.MAX_DEFAULT_EPOCHS` (each epoch writes a backup).
    """

    name: ClassVar[str]
    data_help: ClassVar[str]
    # The keyword options `predict` accepts.
    options: ClassVar[tuple[str, ...]] = ()
    # The keyword options `load` accepts besides `data`.
    data_options: ClassVar[tuple[str, ...]] = ()

    epochs: int = 10
    batch_size: int = 64
    min_steps: int = 0

    @abc.abstractmethod
    def load(self, data, tiny=False, seed=0, **data_options) -> PreparedData:
        """Reads `data` (`None`: the offline default; `tiny`: a few examples)
        into the splits, the preprocessor and the training examples."""

    @abc.abstractmethod
    def build(self, prepared, tiny=False, epochs=None, batch_size=None):
        """The compiled, untrained task for `prepared` (`tiny`: tiny sizes;
        `epochs` / `batch_size`: the run's, for schedules; `None`: the
        recipe's)."""

    @abc.abstractmethod
    def evaluate(self, model, test) -> dict:
        """`{metric: float}` of a trained task on the held-out split `test`."""

    @abc.abstractmethod
    def predict(self, model, inputs, options) -> list[str]:
        """One output line per command-line input; `options` holds the
        keyword options given, among the recipe's `options`."""

    def default_epochs(
        self, count: int, batch_size: int, epochs: int | None = None
    ) -> int:
        """`epochs`, or more where `epochs` passes over `count` examples would
        take fewer than `min_steps` optimizer steps of `batch_size` (see
        `training.run_length.epochs_for_min_steps`).

        Args:
            count: training examples; <= 0 when unknown (then `epochs`).
            batch_size: int > 0, the global batch size.
            epochs: the data's own default (`PreparedData.epochs`); `None`:
                the recipe's `epochs`.
        """
        return epochs_for_min_steps(
            count, batch_size, epochs or self.epochs, self.min_steps
        )


# The options that the recipes reading a user's own file take (`data_options`):
# a held-out file, the share of `data` held out without one, tokens per text.
USER_FILE_OPTIONS = ("test_data", "validation_split", "sequence_length")


def held_out_fraction(validation_split, default):
    """`--validation-split` (the share of `--data` held out), or `default`."""
    if validation_split is None:
        return default
    return check_fraction("--validation-split", validation_split)


def refuse_test_data(test_data, default):
    """Raises where `--test-data` is given for an offline default data set."""
    if test_data is not None:
        raise ValueError(
            f"`--test-data` {test_data!r} needs a `--data` file to train on; "
            f"{default} has its own held-out split."
        )


def sized_examples(batches, count):
    """Unbatches `batches`; restating the size lets `fit` know where epochs end."""
    return batches.unbatch().apply(tf.data.experimental.assert_cardinality(count))
