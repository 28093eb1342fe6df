"""The translation recipe: one set of defaults for every entry point.

`rnnkit train translation` (`keras_rnn_kit.applications`), `rnnkit demo` and
`train_number_translator` build the same `Translator` (`build_translator`: a
`TranslationBackbone` of `EMBEDDING_DIM` / `UNITS`, a copy head over the
preprocessor's pieces, `compile()`'s defaults) and train
it `EPOCHS` epochs of `BATCH_SIZE`, or more on a small training set so that a run
takes at least `MIN_STEPS` optimizer steps (`recipe_epochs`). The sizes and
`MIN_STEPS` were chosen on dev splits of the held-out formatted-text task, never
its test split (`benchmarks/results/heldout_translation.md`).
"""

from keras_rnn_kit.models.translation.translation_backbone import TranslationBackbone
from keras_rnn_kit.models.translation.translator import Translator
from keras_rnn_kit.training.run_length import epochs_for_min_steps

EMBEDDING_DIM = 32
UNITS = 64
EPOCHS = 12
BATCH_SIZE = 64
MIN_STEPS = 2_400


def recipe_epochs(count, batch_size=BATCH_SIZE):
    """The recipe's epochs for `count` training pairs at `batch_size`.

    Example:

    >>> recipe_epochs(1_000), recipe_epochs(9_000)
    (150, 18)
    """
    return epochs_for_min_steps(count, batch_size, EPOCHS, MIN_STEPS)


def build_translator(preprocessor, embedding_dim=EMBEDDING_DIM, units=UNITS):
    """The recipe's compiled, untrained `Translator` for `preprocessor`'s
    vocabularies (smaller `embedding_dim` / `units` for smoke tests).

    Example:

    >>> from keras_rnn_kit.models.translation import TranslationPreprocessor
    >>> pre = TranslationPreprocessor.from_corpus(["三", "四"], ["three", "four"])
    >>> build_translator(pre, embedding_dim=4, units=8).copy_head is not None
    True
    """
    backbone = TranslationBackbone(
        len(preprocessor.source_vocabulary),
        len(preprocessor.target_vocabulary),
        embedding_dim=embedding_dim,
        units=units,
    )
    translator = Translator(backbone, preprocessor)
    translator.compile()
    return translator
