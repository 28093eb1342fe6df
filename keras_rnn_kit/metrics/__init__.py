"""keras_rnn_kit.metrics."""

from keras_rnn_kit.metrics.bleu import corpus_bleu  # noqa: F401
from keras_rnn_kit.metrics.bleu import exact_match  # noqa: F401
from keras_rnn_kit.metrics.caption_metrics import caption_bleu  # noqa: F401
from keras_rnn_kit.metrics.caption_metrics import cider_d  # noqa: F401
from keras_rnn_kit.metrics.masked_token_accuracy import MaskedTokenAccuracy  # noqa: F401
from keras_rnn_kit.metrics.retrieval import MeanRank  # noqa: F401
from keras_rnn_kit.metrics.retrieval import MeanReciprocalRank  # noqa: F401
from keras_rnn_kit.metrics.retrieval import RecallAtK  # noqa: F401
from keras_rnn_kit.metrics.retrieval import ndcg  # noqa: F401
from keras_rnn_kit.metrics.retrieval import retrieval_metrics  # noqa: F401
from keras_rnn_kit.metrics.vqa_accuracy import VQAAccuracy  # noqa: F401
from keras_rnn_kit.metrics.vqa_accuracy import mean_vqa_accuracy  # noqa: F401
from keras_rnn_kit.metrics.vqa_accuracy import normalize_vqa_answer  # noqa: F401
from keras_rnn_kit.metrics.vqa_accuracy import vqa_accuracy  # noqa: F401
