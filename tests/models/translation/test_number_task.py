import pytest

from keras_rnn_kit.models.translation.number_task import evaluate_translator
from keras_rnn_kit.models.translation.number_task import train_number_translator
from tests.models.translation.translation_fixtures import SOURCES
from tests.models.translation.translation_fixtures import TARGETS


@pytest.mark.slow
def test_evaluation_reports_perfect_scores_on_the_training_corpus(trained):
    scores = evaluate_translator(trained, SOURCES, TARGETS, beam_width=3, batch_size=7)
    assert scores["greedy_exact_match"] == scores["beam_exact_match"] == 1.0
    assert scores["greedy_bleu"] == pytest.approx(100.0)
    assert scores["beam_bleu"] == pytest.approx(100.0)


@pytest.mark.parametrize(
    "kwargs, name",
    [({"epochs": 0}, "epochs"), ({"batch_size": -1}, "batch_size")],
)
def test_bad_arguments_name_the_argument(kwargs, name):
    with pytest.raises(ValueError, match=f"`{name}`"):
        train_number_translator(**kwargs)
