"""export_saved_model writes every application's vocabulary as an asset: one
`<layer>.vocab.txt` per distinct text preprocessor layer, tokens in id order."""

import os

import keras
import pytest

from keras_rnn_kit.export import export_saved_model
from keras_rnn_kit.export.saved_model import _vocabulary_layers
from keras_rnn_kit.models.sentiment import SentimentBackbone
from keras_rnn_kit.models.sentiment import SentimentClassifier
from keras_rnn_kit.models.sentiment import SentimentPreprocessor
from tests.models.translation.translation_fixtures import build_translator
from tests.models.visual_dialog.dialog_fixtures import tiny_dialog_model
from tests.models.vqa.vqa_fixtures import tiny_vqa_model

QUESTIONS = ["what color is it", "is there a circle", "what shape"]
SIZE = 8


def _assets(version_folder) -> dict:
    """`{file name: tokens}` of the version's vocabulary assets."""
    folder = os.path.join(version_folder, "assets")
    found = {}
    for name in sorted(os.listdir(folder)):
        with open(os.path.join(folder, name), encoding="utf-8") as f:
            found[name] = f.read().split("\n")[:-1]
    return found


def test_vqa_question_vocabulary_is_an_asset(tmp_path):
    keras.utils.set_random_seed(1)
    model = tiny_vqa_model(QUESTIONS, SIZE, ["yes", "no"])
    pre = model.preprocessor
    version = export_saved_model(model, tmp_path / "vqa", warmup=False)
    text = pre.text_preprocessor
    assert _assets(version) == {f"{text.name}.vocab.txt": text.vocabulary.tokens}
    assert text.get_vocabulary()[:4] == ["<pad>", "<oov>", "<go>", "<eos>"]


@pytest.mark.slow
def test_translator_source_and_target_vocabularies_are_assets(tmp_path):
    translator = build_translator()
    version = export_saved_model(translator, tmp_path / "translator", warmup=False)
    source = translator.preprocessor.source_preprocessor
    target = translator.preprocessor.target_preprocessor
    assert _assets(version) == {
        f"{source.name}.vocab.txt": source.vocabulary.tokens,
        f"{target.name}.vocab.txt": target.vocabulary.tokens,
    }


def test_sentiment_vocabulary_is_written_once_under_the_outer_layer():
    pre = SentimentPreprocessor.from_texts(QUESTIONS, sequence_length=4)
    backbone = SentimentBackbone(len(pre.vocabulary), 4, units=4, num_layers=1)
    model = SentimentClassifier(backbone, preprocessor=pre)
    assert _vocabulary_layers(model) == [pre]


def test_dialog_writes_one_file_per_text_preprocessor():
    layers = _vocabulary_layers(tiny_dialog_model(QUESTIONS, SIZE))
    assert sorted(layer.name for layer in layers) == [
        "answer_text",
        "history_text",
        "question_text",
    ]
