"""The VisualDialogModel's export signatures (the `keras_rnn_kit.export` protocol).

`serving_signatures` serve raw inputs with core TF ops only (stock TF Serving):
encoded image bytes (`decode_image_bytes`), the question, the history rounds and
the candidate answers as strings, tokenized by the preprocessor in the graph.
`tflite_signatures` take numbers (any batch): `encode` turns a float image and the
token ids of the question and the history rounds into the dialog encoding, and
`score` scores one candidate answer's token ids against it (a device loops over
the candidates; see `tflite_signatures` for why); the vocabulary and the three
lengths travel as JSON (`text_assets`). Both take at most `MAX_HISTORY_ROUNDS`
history rounds.
"""

import keras
import tensorflow as tf

from keras_rnn_kit.data.image_io import decode_image_bytes
from keras_rnn_kit.models.vqa.vqa_export import text_preprocessor_assets
from keras_rnn_kit.utils.batch_rows import map_rows
from keras_rnn_kit.utils.validation import check_positive_int

TEXT_ASSETS_FORMAT = "keras_rnn_kit.visual_dialog_text_assets/1"
# The most history rounds an export takes: the TFLite `encode` signature has
# exactly this many (shorter histories are padded with empty rounds) and the
# SavedModel refuses more, so a dialog that runs on one runs on the other. VisDial
# dialogs have 10 (the caption and nine question-answer pairs). 20 rounds rather
# than 10 add 3 KB to the 640 KB `.tflite` of the default 64-unit model.
MAX_HISTORY_ROUNDS = 20


def _require_preprocessor(model, what):
    if model.preprocessor is None:
        raise ValueError(
            f"`{what}` needs a preprocessor; this VisualDialogModel was built with "
            "preprocessor=None."
        )


def ranked_outputs(scores, candidates):
    """`scores` `(batch, options)` -> the named serving outputs.

    `ranking` int32 `(batch, options)` holds candidate indices best first (ties
    keep the given order, as `rank_answers` does) and `best_answer`
    `tf.string (batch,)` the top candidate.
    """
    ranking = tf.argsort(scores, axis=-1, direction="DESCENDING", stable=True)
    best = tf.gather(candidates, ranking[:, 0], batch_dims=1)
    return {"scores": scores, "ranking": ranking, "best_answer": best}


def serving_signatures(model):
    """`serving_default`: raw strings and bytes in, scores and ranking out.

    Inputs: `image_bytes` and `question` `tf.string (batch,)`, `history`
    `tf.string (batch, rounds)` (`""` for no round; at most
    `MAX_HISTORY_ROUNDS` rounds, more raise `InvalidArgumentError`) and `candidates`
    `tf.string (batch, options)`. Outputs: `scores` float32 `(batch, options)`
    (as `VisualDialogModel.rank_answers`), `ranking` and `best_answer` (see
    `ranked_outputs`).
    """
    _require_preprocessor(model, "serving_signatures")
    preprocessor = model.preprocessor

    @tf.function(
        input_signature=[
            tf.TensorSpec((None,), tf.string, name="image_bytes"),
            tf.TensorSpec((None,), tf.string, name="question"),
            tf.TensorSpec((None, None), tf.string, name="history"),
            tf.TensorSpec((None, None), tf.string, name="candidates"),
        ]
    )
    def serving_default(image_bytes, question, history, candidates):
        # 1. At most MAX_HISTORY_ROUNDS rounds, as the TFLite export takes.
        too_many = tf.debugging.assert_less_equal(
            tf.shape(history)[1],
            MAX_HISTORY_ROUNDS,
            message=(
                f"`history` has more than {MAX_HISTORY_ROUNDS} rounds, the most "
                "this export (and the TFLite export) takes; pass the latest "
                f"{MAX_HISTORY_ROUNDS}."
            ),
        )
        with tf.control_dependencies([too_many]):
            history = tf.identity(history)
        # 2. Image bytes -> (batch, image_size, image_size, 3) in [0, 1].
        images = decode_image_bytes(image_bytes, preprocessor.image_size)
        # 3. Text -> (batch, [rounds | options,] length) ids and masks.
        inputs = preprocessor.call(
            {
                "images": images,
                "questions": question,
                "histories": history,
                "candidates": candidates,
            }
        )
        # 4. Scores over the candidates: (batch, options).
        scores = model(inputs, training=False)
        return ranked_outputs(scores, candidates)

    return {"serving_default": serving_default}


def tflite_signatures(model, max_rounds=MAX_HISTORY_ROUNDS):
    """`encode` and `score`: the dialog once, then a batch of candidates.

    A LiteRT `WHILE` loop (each recurrent encoder) converts to builtins only
    with a static batch (`TensorListReserve requires element_shape to be
    static`), so each signature runs its rows one after another through
    `keras_rnn_kit.utils.batch_rows.map_rows`, calling the model at batch 1;
    the batch axis stays unknown.
    The candidates cannot be one axis of one signature (the answer RNN runs
    over `batch * options` sequences inside the loop), so `encode` encodes the
    dialog and `score` scores candidates as rows: a device passes the encoding
    repeated once per candidate, in one call. The history has a static
    `max_rounds` for the same reason: pad it with all-`<pad>` rounds, which both
    encoders skip (the encoding is unchanged). `max_rounds` defaults to
    `MAX_HISTORY_ROUNDS`, the SavedModel's limit, and may not exceed it.

    `encode`: `images` float32 `(batch, size, size, 3)` in `[0, 1]`,
    `token_ids` int32 `(batch, question_length)` and `history_token_ids`
    `(batch, max_rounds, history_length)` in; `encoding` `(batch, units)` out.
    `score`: `encoding` `(batch, units)` and `candidate_token_ids`
    `(batch, answer_length)` in; `score` `(batch,)` (the model's score of each
    row's candidate) out. Every padding mask is `token_ids != 0`, so the token
    axes may be cut after their last non-padding column (`length` is unknown in
    the signatures: fewer recurrent steps, the same outputs).
    """
    _require_preprocessor(model, "tflite_signatures")
    check_positive_int("max_rounds", max_rounds)
    if max_rounds > MAX_HISTORY_ROUNDS:
        raise ValueError(
            f"`max_rounds` must be at most MAX_HISTORY_ROUNDS={MAX_HISTORY_ROUNDS} "
            f"(the SavedModel export's limit), got {max_rounds}."
        )
    backbone = model.backbone
    size = backbone.image_size
    names = ("images", "token_ids", "padding_mask", "history_token_ids")
    names += ("history_padding_mask",)
    encoder = keras.Model(
        {name: backbone.input[name] for name in names}, backbone.output["encoding"]
    )
    embedding = backbone.get_layer("token_embedding")
    answer_rnn = backbone.get_layer("answer_rnn").layer

    def encode_row(images, token_ids, history_token_ids):
        # One dialog, each input with a batch axis of 1 -> (1, units).
        inputs = {
            "images": images,
            "token_ids": token_ids,
            "padding_mask": tf.not_equal(token_ids, 0),
            "history_token_ids": history_token_ids,
            "history_padding_mask": tf.not_equal(history_token_ids, 0),
        }
        return encoder(inputs, training=False)

    def score_row(encoding, candidate_token_ids):
        # (1, answer_length) -> (1, units) -> the dot product with the encoding.
        candidate = answer_rnn(
            embedding(candidate_token_ids),
            mask=tf.not_equal(candidate_token_ids, 0),
            training=False,
        )
        return tf.reduce_sum(encoding * candidate, axis=-1)

    @tf.function(
        input_signature=[
            tf.TensorSpec((None, size, size, 3), tf.float32, name="images"),
            tf.TensorSpec((None, None), tf.int32, name="token_ids"),
            # Token axes of any length up to the preprocessor's (a caller may
            # cut trailing padding): only the rounds axis must be static.
            tf.TensorSpec((None, max_rounds, None), tf.int32, name="history_token_ids"),
        ]
    )
    def encode(images, token_ids, history_token_ids):
        encoding = map_rows(
            encode_row,
            (images, token_ids, history_token_ids),
            tf.TensorSpec((backbone.units,), tf.float32),
        )
        return {"encoding": encoding}

    @tf.function(
        input_signature=[
            tf.TensorSpec((None, backbone.units), tf.float32, name="encoding"),
            tf.TensorSpec((None, None), tf.int32, name="candidate_token_ids"),
        ]
    )
    def score(encoding, candidate_token_ids):
        scores = map_rows(
            score_row,
            (encoding, candidate_token_ids),
            tf.TensorSpec((), tf.float32),
        )
        return {"score": scores}

    return {"encode": encode, "score": score}


def text_assets(model):
    """What a device needs next to the `.tflite`: `format`, `image_size` and,
    under `question`, `history` and `answer`, the settings of
    `text_preprocessor_assets` (one vocabulary, three lengths)."""
    _require_preprocessor(model, "export_text_assets")
    preprocessor = model.preprocessor
    return {
        "format": TEXT_ASSETS_FORMAT,
        "image_size": preprocessor.image_size,
        "question": text_preprocessor_assets(preprocessor.question_text),
        "history": text_preprocessor_assets(preprocessor.history_text),
        "answer": text_preprocessor_assets(preprocessor.answer_text),
    }
