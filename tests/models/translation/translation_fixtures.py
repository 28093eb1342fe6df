"""Small translation corpora and models shared by the translation tests."""

import keras

from keras_rnn_kit.data.number_translation import number_to_chinese
from keras_rnn_kit.data.number_translation import number_to_english
from keras_rnn_kit.models.translation import TranslationBackbone
from keras_rnn_kit.models.translation import TranslationPreprocessor
from keras_rnn_kit.models.translation import Translator

NUMBERS = [
    3,
    12,
    15,
    40,
    58,
    100,
    105,
    230,
    999,
    1000,
    1010,
    2024,
    3600,
    4321,
    5005,
    6070,
    7777,
    8100,
    9009,
    9999,
]
SOURCES = [number_to_chinese(n) for n in NUMBERS]
TARGETS = [number_to_english(n) for n in NUMBERS]


def build_translator(seed=0, **backbone_kwargs):
    """An untrained tiny Translator with a preprocessor fitted to the corpus."""
    keras.utils.set_random_seed(seed)
    preprocessor = TranslationPreprocessor.from_corpus(SOURCES, TARGETS)
    kwargs = {"embedding_dim": 8, "units": 16, **backbone_kwargs}
    backbone = TranslationBackbone(
        len(preprocessor.source_vocabulary),
        len(preprocessor.target_vocabulary),
        **kwargs,
    )
    return Translator(backbone, preprocessor)


def train_on_corpus(steps=150):
    """The 20-pair corpus, overfitted with `steps` Adam steps (full batches)."""
    translator = build_translator(embedding_dim=16, units=32)
    translator.compile(optimizer=keras.optimizers.Adam(1e-2))
    dataset = translator.preprocessor.make_dataset(SOURCES, TARGETS, batch_size=20)
    translator.fit(dataset.cache().repeat(steps), epochs=1, verbose=0)
    return translator
