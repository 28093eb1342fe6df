"""The translation task: backbone + vocabulary head, training defaults, decoding."""

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from keras_rnn_kit.data.text_rules import PIECE_MARK
from keras_rnn_kit.data.text_tokenizer import to_string_tensor
from keras_rnn_kit.metrics.masked_token_accuracy import MaskedTokenAccuracy
from keras_rnn_kit.models.raw_samples import scale_token_weights
from keras_rnn_kit.models.task import Task
from keras_rnn_kit.models.translation import translator_assets
from keras_rnn_kit.models.translation import translator_signatures
from keras_rnn_kit.models.translation.copy_head import CopyHead
from keras_rnn_kit.models.translation.copy_head import copy_maps
from keras_rnn_kit.models.translation.translation_backbone import TranslationBackbone
from keras_rnn_kit.models.translation.translation_preprocessor import (
    TranslationPreprocessor,
)
from keras_rnn_kit.samplers import BeamSampler
from keras_rnn_kit.samplers import GreedySampler
from keras_rnn_kit.utils.validation import check_positive_int


@keras.saving.register_keras_serializable(package="keras_rnn_kit")
class Translator(Task):
    """Sequence-to-sequence translation with attention, greedy or beam decoding.

    The model maps the named inputs `token_ids`, `padding_mask` and
    `decoder_token_ids` to next-token scores `(batch, target_length,
    target_vocabulary_size)`: the backbone's attentional vectors through a
    `Dense` head. With `copy=True` (the default with a preprocessor) a
    `CopyHead` mixes that head with copies of the source pieces the decoder
    attends to (a pointer-generator), so numbers, names and other pieces the
    training data never paired can be written out; the scores are then
    log-probabilities, which everything downstream reads as logits.
    `fit` / `evaluate` take raw source and target sentences
    (`translator.fit(sources, targets)`), `predict` a pair `(sources,
    targets)` (see `Task`). `compile()` defaults to Adam (learning rate 2e-3,
    global clipnorm 5), cross-entropy from logits (the
    preprocessor's sample weights mask the padding) and `MaskedTokenAccuracy`.

    Inference runs in two reusable pieces, which the export helpers turn into
    serving / TFLite signatures:

    - `encode(token_ids, padding_mask) -> state`: the decoder's starting state,
      a dict `{"cell_states": [...], "feed", "memory", "keys", "memory_mask",
      "source_ids"}`
      (all with a leading batch axis, so samplers can tile and reorder it);
    - `step(token_ids, state) -> (log_probs, new_state)`: one decoder step, the
      `step_fn` contract of `keras_rnn_kit.samplers`.

    `generate` runs a sampler over them inside one `tf.function` per setting;
    `translate` adds the preprocessor on both ends. `serving_signatures()` and
    `tflite_signatures()` follow the `keras_rnn_kit.export` protocol.

    Args:
        backbone: a `TranslationBackbone`.
        preprocessor: a `TranslationPreprocessor` (needed by `translate`), or None.
        copy: bool, add the `CopyHead`. It copies between the preprocessor's
            vocabularies, so it needs a preprocessor; `"auto"` (the default)
            copies when there is one.
        **kwargs: base `keras.Model` arguments.

    Call arguments:
        inputs: dict of `token_ids`, `padding_mask`, `decoder_token_ids`.

    Returns:
        Logits `(batch, target_length, target_vocabulary_size)`.

    Example:

    >>> sources, targets = ["三百", "二十"], ["three hundred", "twenty"]
    >>> pre = TranslationPreprocessor.from_corpus(sources, targets)
    >>> backbone = TranslationBackbone(len(pre.source_vocabulary),
    ...     len(pre.target_vocabulary), embedding_dim=8, units=8)
    >>> translator = Translator(backbone, pre)
    >>> translator.compile()
    >>> _ = translator.fit(pre.make_dataset(sources, targets), epochs=1, verbose=0)
    >>> len(translator.translate(["三百"], beam_width=2))
    1
    """

    def __init__(self, backbone, preprocessor=None, copy="auto", **kwargs):
        if not isinstance(backbone, TranslationBackbone):
            raise TypeError(
                f"`backbone` must be a TranslationBackbone, got {backbone!r} "
                f"({type(backbone).__name__})."
            )
        if preprocessor is not None and not isinstance(
            preprocessor, TranslationPreprocessor
        ):
            raise TypeError(
                "`preprocessor` must be a TranslationPreprocessor or None, got "
                f"{preprocessor!r} ({type(preprocessor).__name__})."
            )
        if copy == "auto":
            copy = preprocessor is not None
        if not isinstance(copy, bool):
            raise TypeError(f"`copy` must be a bool or 'auto', got {copy!r}.")
        if copy and preprocessor is None:
            raise ValueError(
                "`copy=True` copies source pieces into the target vocabulary, so "
                "it needs the preprocessor's vocabularies; got preprocessor=None. "
                "Pass a TranslationPreprocessor or copy=False."
            )
        # === Layers ===
        self.backbone = backbone
        self.preprocessor = preprocessor
        self.copy = copy
        self.lm_head = keras.layers.Dense(
            backbone.target_vocabulary_size, name="lm_head"
        )
        self.copy_head = self._make_copy_head() if copy else None
        # === Functional model ===
        inputs = backbone.input
        outputs = backbone(inputs)
        scores = self._scores(
            outputs["sequence_output"],
            outputs["attention_weights"],
            inputs["token_ids"],
        )
        super().__init__(inputs=inputs, outputs=scores, **kwargs)

    def _make_copy_head(self):
        source_columns, target_columns, num_copy_targets = copy_maps(
            self.preprocessor.source_vocabulary.tokens,
            self.preprocessor.target_vocabulary.tokens,
        )
        return CopyHead(
            self.backbone.source_vocabulary_size,
            self.backbone.target_vocabulary_size,
            num_copy_targets,
            source_columns,
            target_columns,
            name="copy_head",
        )

    def _scores(self, attentional, attention_weights, source_ids):
        """The head: logits, or the copy head's log-probabilities over them."""
        logits = self.lm_head(attentional)
        if self.copy_head is None:
            return logits
        return self.copy_head(logits, attentional, attention_weights, source_ids)

    def get_config(self):
        return {**super().get_config(), "copy": self.copy}

    @classmethod
    def from_config(cls, config):
        # A file saved before the copy head existed has no "copy": it had none.
        return super().from_config({"copy": False, **config})

    def default_optimizer(self):
        return keras.optimizers.Adam(2e-3, global_clipnorm=5.0)

    def default_metrics(self):
        return [MaskedTokenAccuracy()]

    def preprocess_samples(self, x, y=None, sample_weight=None):
        """Raw source and target sentences `(batch,)` -> the teacher-forced
        inputs, next-piece labels and padding weights."""
        self._require_preprocessor("raw text input")
        if y is None:
            raise ValueError(
                "`Translator` reads the target it scores (teacher forcing): pass "
                "`(sources, targets)`; `translate(sources)` writes new ones."
            )
        inputs, labels, weights = self.preprocessor(x, y)
        return inputs, labels, scale_token_weights(weights, sample_weight)

    def encode(self, token_ids, padding_mask):
        """Encodes a source batch into the decoder's starting state.

        Args:
            token_ids: int `(batch, source_length)`.
            padding_mask: bool `(batch, source_length)`.

        Returns:
            The state dict described in the class docstring.
        """
        padding_mask = ops.cast(padding_mask, "bool")
        memory, cell_states = self.backbone.encode_layers(
            token_ids, padding_mask, training=False
        )
        decoder = self.backbone.decoder
        return {
            "cell_states": list(cell_states),
            "feed": ops.zeros(
                (ops.shape(memory)[0], decoder.units), dtype=memory.dtype
            ),
            "memory": memory,
            "keys": decoder.prepare_memory(memory),
            "memory_mask": padding_mask,
            "source_ids": ops.cast(token_ids, "int32"),
        }

    def step_logits(self, token_ids, state):
        """One decoder step returning the head's scores: `(logits, new_state)`."""
        # 1. Embed the previous token. (batch, embedding_dim)
        y = self.backbone.target_embedding(token_ids)
        # 2. Cell, attention and input feeding. (batch, units)
        attentional, cell_states, weights = self.backbone.decoder.step(
            y,
            state["cell_states"],
            state["feed"],
            state["memory"],
            state["keys"],
            state["memory_mask"],
        )
        # 3. Head. (batch, target_vocabulary_size)
        logits = ops.cast(
            self._scores(attentional, weights, state["source_ids"]), "float32"
        )
        return logits, {**state, "cell_states": list(cell_states), "feed": attentional}

    def step(self, token_ids, state):
        """One decoder step: the samplers' `step_fn`.

        Args:
            token_ids: int `(batch,)`, the previous target token.
            state: the dict from `encode` or the previous `step`.

        Returns:
            `(log_probs, new_state)`: float32 `(batch, target_vocabulary_size)`
            and the updated state dict.
        """
        logits, new_state = self.step_logits(token_ids, state)
        return ops.log_softmax(logits, axis=-1), new_state

    def serving_signatures(self):
        """`{"serving_default", "beam_search"}`: strings in, strings out (core TF
        ops only); see `translator_signatures.serving_signatures`."""
        return translator_signatures.serving_signatures(self)

    def tflite_signatures(self):
        """`{"encode", "step"}` with batch 1, for `export_tflite` and
        `TFLiteRunner`; see `translator_signatures.tflite_signatures`."""
        return translator_signatures.tflite_signatures(self)

    def text_assets(self):
        """Source and target text settings a TFLite deployment needs; see
        `translator_assets.text_assets`."""
        return translator_assets.text_assets(self)

    def _sampler(self, beam_width, max_length, length_penalty):
        check_positive_int("beam_width", beam_width)
        check_positive_int("max_length", max_length)
        if beam_width == 1:
            return GreedySampler(max_length=max_length)
        return BeamSampler(
            beam_width=beam_width, length_penalty=length_penalty, max_length=max_length
        )

    def generate(
        self, token_ids, padding_mask, beam_width=1, max_length=None, length_penalty=0.0
    ):
        """Decodes a batch of source ids into target ids.

        Args:
            token_ids: int `(batch, source_length)`.
            padding_mask: bool `(batch, source_length)`.
            beam_width: int >= 1; 1 decodes greedily.
            max_length: int > 0, most target tokens (`<eos>` included); default
                the preprocessor's target length, or 50 without one.
            length_penalty: float >= 0, see `BeamSampler`.

        Returns:
            int32 `(batch, max_length)`: the best target ids, `<eos>` then `<pad>`.
        """
        if max_length is None:
            max_length = (
                self.preprocessor.target_sequence_length if self.preprocessor else 50
            )
        sampler = self._sampler(beam_width, max_length, length_penalty)
        key = (beam_width, max_length, float(length_penalty))
        cache = self.__dict__.setdefault("_generate_functions", {})
        if key not in cache:

            @tf.function(
                input_signature=(
                    tf.TensorSpec((None, None), tf.int32),
                    tf.TensorSpec((None, None), tf.bool),
                )
            )
            def generate_function(token_ids, padding_mask):
                out = sampler(self.step, self.encode(token_ids, padding_mask))
                ids = out["token_ids"]
                return ids if beam_width == 1 else ids[:, 0]

            cache[key] = generate_function
        return cache[key](tf.cast(token_ids, tf.int32), tf.cast(padding_mask, tf.bool))

    def translate(
        self,
        sentences,
        beam_width=1,
        max_length=None,
        length_penalty=0.0,
        return_attention=False,
    ):
        """Translates raw source sentences.

        Args:
            sentences: a str or a list of str.
            beam_width: int >= 1; 1 decodes greedily.
            max_length: int > 0 or None, see `generate`.
            length_penalty: float >= 0, see `BeamSampler`.
            return_attention: bool, also return what the decoder attended to.

        Returns:
            A list of str (a str for a str input). With `return_attention`, also a
            list of dicts `{"source_tokens", "target_tokens", "weights"}` where
            `weights` is a numpy array `(len(target_tokens), len(source_tokens))`
            (ready for `keras_rnn_kit.diagnostics.plot_attention`).
        """
        self._require_preprocessor("translate()")
        single = isinstance(sentences, str)
        strings = to_string_tensor("sentences", [sentences] if single else sentences)
        x = self.preprocessor(strings)
        ids = self.generate(
            x["token_ids"], x["padding_mask"], beam_width, max_length, length_penalty
        )
        texts = [t.decode("utf-8") for t in self.preprocessor.detokenize(ids).numpy()]
        if not return_attention:
            return texts[0] if single else texts
        attention = self._attention(strings, x, ids)
        return (texts[0], attention[0]) if single else (texts, attention)

    def _attention(self, strings, x, ids):
        """Re-runs the decoder on its own output to read the attention weights
        (the decoder is deterministic, so they equal those seen while decoding)."""
        go = tf.fill([tf.shape(ids)[0], 1], self.preprocessor.target_vocabulary.go_id)
        decoder_ids = tf.concat([go, ids[:, :-1]], axis=1)
        weights = self.backbone({**x, "decoder_token_ids": decoder_ids})[
            "attention_weights"
        ]
        vocabulary = self.preprocessor.target_vocabulary
        tokenizer = self.preprocessor.source_preprocessor.tokenizer
        results = []
        for row, text in enumerate(strings.numpy()):
            source_tokens = tokenizer.tokenize_python(text.decode("utf-8"))
            source_tokens = source_tokens[: int(np.sum(x["padding_mask"][row]))]
            row_ids = [int(i) for i in ids[row]]
            end = (
                row_ids.index(vocabulary.eos_id)
                if vocabulary.eos_id in row_ids
                else (len(row_ids))
            )
            target_tokens = vocabulary.decode(row_ids[:end], strip_special=False)
            results.append(
                {
                    # Labels as read: without the pieces' word-start mark.
                    "source_tokens": [t.lstrip(PIECE_MARK) for t in source_tokens],
                    "target_tokens": [t.lstrip(PIECE_MARK) for t in target_tokens],
                    "weights": np.asarray(weights[row])[
                        : len(target_tokens), : len(source_tokens)
                    ],
                }
            )
        return results
