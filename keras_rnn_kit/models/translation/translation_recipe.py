"""The translation recipe: one set of defaults for every entry point.

`rnnkit train translation` (`TranslationRecipe`, registered in
`keras_rnn_kit.applications`), `rnnkit demo` and `train_number_translator` build
the same `Translator` (`build_translator`: a `TranslationBackbone` of
`EMBEDDING_DIM` / `UNITS`, a copy head over the preprocessor's pieces,
`compile()`'s defaults) and train it `EPOCHS` epochs of `BATCH_SIZE`, or more on a
small training set so that a run takes at least `MIN_STEPS` optimizer steps
(`recipe_epochs`). The sizes and `MIN_STEPS` were chosen on dev splits of the
held-out formatted-text task, never its test split
(`benchmarks/results/heldout_translation.md`).

The data is the generated zh->en numbers task, or a user's source<TAB>target
file: split seeded and shuffled, or trained on whole with `--test-data` held
out; the notes report what the sequence lengths truncate.

Example:

>>> recipe = TranslationRecipe()
>>> prepared = recipe.load(None, tiny=True)
>>> prepared.description
'generated zh->en numbers task: 270 training pairs, 30 held out'
>>> recipe.build(prepared, tiny=True).copy_head is not None
True
"""

import dataclasses
from typing import ClassVar

import numpy as np

from keras_rnn_kit.data.length_coverage import length_notes
from keras_rnn_kit.data.length_coverage import token_counts
from keras_rnn_kit.data.number_renaming import renamed_number_copies
from keras_rnn_kit.data.number_translation import number_translation_splits
from keras_rnn_kit.data.parallel_corpus import read_parallel_tsv
from keras_rnn_kit.data.splits import split_indices
from keras_rnn_kit.metrics.bleu import corpus_bleu
from keras_rnn_kit.metrics.bleu import exact_match
from keras_rnn_kit.models.recipe import USER_FILE_OPTIONS
from keras_rnn_kit.models.recipe import PreparedData
from keras_rnn_kit.models.recipe import Recipe
from keras_rnn_kit.models.recipe import held_out_fraction
from keras_rnn_kit.models.recipe import refuse_test_data
from keras_rnn_kit.models.recipe import sized_examples
from keras_rnn_kit.models.translation.translation_backbone import TranslationBackbone
from keras_rnn_kit.models.translation.translation_preprocessor import (
    TranslationPreprocessor,
)
from keras_rnn_kit.models.translation.translator import Translator
from keras_rnn_kit.training.run_length import epochs_for_min_steps
from keras_rnn_kit.utils.validation import check_positive_int

EMBEDDING_DIM = 32
UNITS = 64
EPOCHS = 12
BATCH_SIZE = 64
# Dev split 3: 0.877 at 2,400 steps, 0.967 at 3,600, 0.973 at 4,800; dev split 7:
# 0.987, 0.987, 0.990 (benchmarks/results/heldout_translation.md).
MIN_STEPS = 4_800
# The share of a `--data` TSV held out without `--test-data`.
TEST_FRACTION = 0.1
# Renamed-number copies of each training pair that copies a number.
NUMBER_COPIES = 1
# The beam width of the recipe's beam-search scores.
BEAM_WIDTH = 4


def recipe_epochs(count, batch_size=BATCH_SIZE):
    """The recipe's epochs for `count` training pairs at `batch_size`.

    Example:

    >>> recipe_epochs(1_000), recipe_epochs(9_000)
    (300, 35)
    """
    return epochs_for_min_steps(count, batch_size, EPOCHS, MIN_STEPS)


def build_translator(
    preprocessor, embedding_dim=EMBEDDING_DIM, units=UNITS, **architecture
):
    """The recipe's compiled, untrained `Translator` for `preprocessor`'s
    vocabularies (smaller `embedding_dim` / `units` for smoke tests).

    `architecture` holds `TranslationBackbone`'s other arguments
    (`encoder_type`, `encoder_cell`, `decoder_cell`, `attention`); the
    backbone's defaults otherwise.

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
        **architecture,
    )
    translator = Translator(backbone, preprocessor)
    translator.compile()
    return translator


def evaluate_translator(
    translator: Translator,
    sources: list[str],
    references: list[str],
    beam_width: int = BEAM_WIDTH,
    batch_size: int = 500,
) -> dict[str, float]:
    """Greedy and beam exact match and BLEU of `translator` on a parallel set.

    Returns:
        `{"greedy_exact_match", "greedy_bleu", "beam_exact_match", "beam_bleu"}`,
        exact match in [0, 1] and BLEU in [0, 100].
    """
    check_positive_int("batch_size", batch_size)
    scores = {}
    for label, width in (("greedy", 1), ("beam", beam_width)):
        outputs = []
        for start in range(0, len(sources), batch_size):
            outputs += translator.translate(
                sources[start : start + batch_size], beam_width=width
            )
        scores[f"{label}_exact_match"] = exact_match(outputs, references)
        scores[f"{label}_bleu"] = corpus_bleu(outputs, references)
    return scores


@dataclasses.dataclass
class TranslationData(PreparedData):
    """`PreparedData` for translation.

    Attributes:
        preprocessor: the `TranslationPreprocessor` built from the training
            pairs (the task shares it).
    """

    preprocessor: TranslationPreprocessor | None = None


@dataclasses.dataclass(frozen=True)
class TranslationRecipe(Recipe):
    """Machine translation: source<TAB>target pairs -> `Translator`.

    Attributes:
        embedding_dim, units: the `TranslationBackbone`'s sizes.
        encoder_type: `"bidirectional"` or `"stacked"`.
        cell: the encoder's and the decoder's cell name (`keras_rnn_kit.cells`).
        attention: `"bahdanau"`, `"luong_general"` or `"luong_dot"`.
        test_fraction: the share of a `--data` file held out without
            `--test-data` or `--validation-split`.
        number_copies: copies added to the training set of each training pair
            that copies a number across (`人民币3450元` -> `RMB 3,450`), the
            copied numbers renamed (`keras_rnn_kit.data.number_renaming`); 0
            adds none. The generated numbers task writes numbers as words, so
            none are added there.
    """

    name: ClassVar[str] = "translation"
    data_help: ClassVar[str] = (
        "a source<TAB>target TSV file (default: the generated zh->en numbers)"
    )
    options: ClassVar[tuple[str, ...]] = ("beam_width",)
    data_options: ClassVar[tuple[str, ...]] = USER_FILE_OPTIONS

    epochs: int = EPOCHS
    batch_size: int = BATCH_SIZE
    min_steps: int = MIN_STEPS
    embedding_dim: int = EMBEDDING_DIM
    units: int = UNITS
    encoder_type: str = "bidirectional"
    cell: str = "lstm"
    attention: str = "bahdanau"
    test_fraction: float = TEST_FRACTION
    number_copies: int = NUMBER_COPIES

    def load(
        self,
        data,
        tiny=False,
        seed=0,
        test_data=None,
        validation_split=None,
        sequence_length=None,
    ) -> TranslationData:
        fraction = held_out_fraction(validation_split, self.test_fraction)
        if data is None:
            refuse_test_data(test_data, "the generated numbers task")
            splits = number_translation_splits(
                fraction, seed=seed, max_number=299 if tiny else 9999
            )
            description = "generated zh->en numbers task"
        else:
            splits = _parallel_splits(data, test_data, fraction, seed)
            description = f"parallel TSV {data!r}"
            if test_data is not None:
                description += f", held out {test_data!r}"
        lengths = {}
        if sequence_length is not None:
            check_positive_int("sequence_length", sequence_length)
            lengths = {
                "source_sequence_length": sequence_length,
                "target_sequence_length": sequence_length + 1,
            }
        # A user's held-out (or predicted) sentence may outgrow every training one.
        user_lengths = data is not None or sequence_length is not None
        preprocessor = TranslationPreprocessor.from_corpus(
            *splits["train"],
            **lengths,
            overflow="truncate" if user_lengths else "error",
        )
        sources, targets = splits["train"]
        renamed = renamed_number_copies(sources, targets, self.number_copies, seed)
        description += f": {len(sources):,} training pairs"
        if renamed[0]:
            description += f" (+{len(renamed[0]):,} with renamed numbers)"
        examples = sized_examples(
            preprocessor.make_dataset(
                sources + renamed[0], targets + renamed[1], seed=seed
            ),
            len(sources) + len(renamed[0]),
        )
        return TranslationData(
            f"{description}, {len(splits['held_out'][0]):,} held out",
            examples,
            splits["held_out"],
            _length_notes(preprocessor, splits, sequence_length)
            if user_lengths
            else [],
            preprocessor,
        )

    def build(self, prepared, tiny=False, epochs=None, batch_size=None):
        return build_translator(
            prepared.preprocessor,
            embedding_dim=8 if tiny else self.embedding_dim,
            units=16 if tiny else self.units,
            encoder_type=self.encoder_type,
            encoder_cell=self.cell,
            decoder_cell=self.cell,
            attention=self.attention,
        )

    def evaluate(self, model, test):
        return evaluate_translator(model, *test)

    def predict(self, model, inputs, options):
        outputs = model.translate(list(inputs), beam_width=options.get("beam_width", 1))
        return [f"{s}\t{t}" for s, t in zip(inputs, outputs, strict=True)]


def _parallel_splits(data, test_data, fraction, seed):
    """`{"train", "held_out"}` `(sources, targets)`: a seeded shuffled split of
    `--data`, or all of it (shuffled) with `--test-data` held out."""
    pairs = read_parallel_tsv(data)
    if len(pairs) < (1 if test_data else 2):
        raise ValueError(
            f"`--data` must hold at least {1 if test_data else 2} source<TAB>target "
            f"lines, got {len(pairs)} in {data!r}."
        )
    if test_data is None:
        train, held = split_indices(len(pairs), fraction, seed)
        held_pairs = [pairs[i] for i in held]
    else:
        train = np.random.default_rng(seed).permutation(len(pairs))
        held_pairs = read_parallel_tsv(test_data)
        if not held_pairs:
            raise ValueError(
                f"`--test-data` {test_data!r} holds no source<TAB>target lines."
            )
    train_pairs = [pairs[i] for i in train]
    return {
        name: tuple(list(column) for column in zip(*rows, strict=True))
        for name, rows in (("train", train_pairs), ("held_out", held_pairs))
    }


def _length_notes(preprocessor, splits, sequence_length):
    """What the source/target lengths cover; pairs longer on either side are cut."""
    source = preprocessor.source_preprocessor
    target = preprocessor.target_preprocessor
    source_room = source.sequence_length
    target_room = target.sequence_length - 2  # <go> and <eos>

    def fits(sources, targets):
        return (token_counts(source.tokenizer, sources) <= source_room) & (
            token_counts(target.tokenizer, targets) <= target_room
        )

    chosen = "--sequence-length" if sequence_length else "the longest training pair"
    return length_notes(
        f"sequence_length {source_room} source / {target_room} target tokens "
        f"({chosen})",
        fits(*splits["train"]),
        fits(*splits["held_out"]),
        "pairs",
        "held-out",
        "pass a larger --sequence-length, or none to fit the longest training pair",
    )
