"""Train and score a Translator on the generated Chinese-number -> English task."""

import time

import keras

from keras_rnn_kit.models.translation import translation_recipe
from keras_rnn_kit.models.translation.translation_recipe import TranslationRecipe
from keras_rnn_kit.models.translation.translation_recipe import evaluate_translator
from keras_rnn_kit.models.translation.translator import Translator
from keras_rnn_kit.utils.validation import check_positive_int

# Epochs of a `quick` run (demos and smoke tests); a full run trains the
# recipe's own (`TranslationRecipe.default_epochs`).
QUICK_EPOCHS = 4


def train_number_translator(
    quick: bool = False,
    epochs: int | None = None,
    batch_size: int = translation_recipe.BATCH_SIZE,
    seed: int = 0,
    held_out_fraction: float = 0.1,
    beam_width: int = 4,
    verbose: int = 0,
) -> tuple[Translator, dict]:
    """Trains the translation recipe (`TranslationRecipe`, what `rnnkit train
    translation` runs: its data, preprocessor and model) on numbers 0–9999
    (Chinese -> English words) and scores it on whole numbers it never saw.

    Args:
        quick: bool, `QUICK_EPOCHS` epochs instead of the recipe's, for demos and
            smoke tests (under a minute on 2 CPU cores).
        epochs: int > 0 or None for the default (the recipe's: 18 for the
            about 9,000 training numbers).
        batch_size: int > 0.
        seed: int, seeds the split, the weights and the shuffling.
        held_out_fraction: float in (0, 1), share of numbers held out.
        beam_width: int >= 1, beam width of the beam-search evaluation.
        verbose: `fit` verbosity.

    Returns:
        `(translator, report)`: the trained `Translator` and a dict with
        `train_seconds`, `epochs`, `train_pairs`, `held_out_pairs`, the final
        `loss` and `masked_token_accuracy`, and `evaluate_translator`'s scores on
        the held-out numbers.

    Example:

    >>> translator, report = train_number_translator(quick=True)  # doctest: +SKIP
    >>> translator.translate("三百二十一")                          # doctest: +SKIP
    'three hundred twenty one'
    """
    check_positive_int("batch_size", batch_size)
    keras.utils.set_random_seed(seed)
    recipe = TranslationRecipe()
    prepared = recipe.load(None, seed=seed, validation_split=held_out_fraction)
    count = int(prepared.train.cardinality())
    held_sources, held_targets = prepared.test
    if epochs is None:
        epochs = QUICK_EPOCHS if quick else recipe.default_epochs(count, batch_size)
    epochs = check_positive_int("epochs", epochs)
    translator = recipe.build(prepared)
    start = time.perf_counter()
    history = translator.fit(
        prepared.train.batch(batch_size), epochs=epochs, verbose=verbose, shuffle=False
    )
    train_seconds = time.perf_counter() - start
    report = {
        "train_seconds": round(train_seconds, 1),
        "epochs": epochs,
        "train_pairs": count,
        "held_out_pairs": len(held_sources),
        "loss": float(history.history["loss"][-1]),
        "masked_token_accuracy": float(history.history["masked_token_accuracy"][-1]),
    }
    report.update(
        evaluate_translator(translator, held_sources, held_targets, beam_width)
    )
    return translator, report
