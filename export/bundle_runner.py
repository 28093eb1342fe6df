"""Runs an exported TFLite bundle with numpy and `ai_edge_litert` only.

`rnnkit export MODEL --format tflite` (`export_tflite_bundle`) writes a folder that
needs neither TensorFlow, Keras nor keras_rnn_kit: `model.tflite`, `bundle.json`
(the application and its text settings), plain vocabulary and label files, and
three Python files a device team can run as they are or port line by line:
`text_rules.py` (text -> token ids -> text), `tflite_runner.py` (signatures,
greedy and beam decoding) and this file, copied as `rnnkit_bundle.py`:

    import sys; sys.path.insert(0, "translation_tflite")
    from rnnkit_bundle import Bundle
    Bundle("translation_tflite").translate(["三百二十一"])   # -> ['three hundred ...']

`Bundle` gives each application the inference call of its Keras task, with the
same results: `classify` (`SentimentClassifier.predict_text`), `translate`
(`Translator.translate`), `caption` (`ImageCaptioner.caption`), `answer`
(`VQAModel.answer`) and `rank_answers` (`VisualDialogModel.rank_answers`).
Images must already have the model's size (`image_size` in `bundle.json`):
`uint8` pixels are scaled by 1/255, floats must lie in `[0, 1]`.
"""

import json
import os

import numpy as np

if __package__:  # inside keras_rnn_kit.export
    from keras_rnn_kit.data import text_rules
    from keras_rnn_kit.export.tflite_runner import TFLiteRunner
else:  # the copy inside a bundle folder, next to the two files it needs
    import text_rules
    from tflite_runner import TFLiteRunner

BUNDLE_FORMAT = "keras_rnn_kit.tflite_bundle/1"
BUNDLE_FILE = "bundle.json"


def _check_images(images, size: int) -> np.ndarray:
    """`(batch, size, size, 1 or 3)` uint8 or [0, 1] floats -> float32 RGB."""
    images = np.asarray(images)
    if images.ndim != 4 or images.shape[-1] not in (1, 3):
        raise ValueError(
            "`images` must have shape (batch, height, width, 1 or 3), got "
            f"{images.shape}."
        )
    if images.shape[1:3] != (size, size):
        raise ValueError(
            f"`images` must be {size}x{size} (the model's image_size), got "
            f"{images.shape[1]}x{images.shape[2]}: resize them first."
        )
    if images.dtype == np.uint8:
        images = images.astype(np.float32) / 255.0
    elif images.dtype.kind == "f":
        if images.size and not (np.all(images >= 0) and np.all(images <= 1)):
            raise ValueError(
                "`images` of a float dtype must lie in [0, 1] (uint8 pixels are "
                f"scaled by 1/255), got values in [{images.min()}, {images.max()}]."
            )
        images = images.astype(np.float32)
    else:
        raise ValueError(f"`images` must be uint8 or float, got {images.dtype}.")
    return np.repeat(images, 3, axis=-1) if images.shape[-1] == 1 else images


def trim_padding(ids: np.ndarray, pad_id: int = 0) -> np.ndarray:
    """Cuts the last axis after its last non-`pad_id` column (keeping one).

    The exported signatures mask padding, so trimmed ids give the same outputs
    as ids padded to `sequence_length`, with fewer recurrent steps: a sentiment
    model reading 30 of 100 tokens runs 3.1x faster (benchmarks/bundle_trimming).
    """
    used = np.flatnonzero(np.any(ids != pad_id, axis=tuple(range(ids.ndim - 1))))
    return ids[..., : max(1, used[-1] + 1 if used.size else 1)]


def _same_length(**named) -> int:
    lengths = {name: len(value) for name, value in named.items()}
    if len(set(lengths.values())) > 1:
        raise ValueError(f"Arguments must have one entry per example, got {lengths}.")
    return next(iter(lengths.values()))


class Bundle:
    """An exported application: `bundle.json` plus `model.tflite` in `folder`.

    Args:
        folder: the bundle folder `export_tflite_bundle` wrote.
        num_threads: LiteRT CPU threads (default: LiteRT's).

    Example:

    >>> bundle = Bundle("sentiment_tflite")  # doctest: +SKIP
    >>> bundle.classify(["The food was good."])  # doctest: +SKIP
    (['pos'], array([[0.03, 0.97]], dtype=float32))
    """

    def __init__(self, folder: str, num_threads: int | None = None):
        path = os.path.join(folder, BUNDLE_FILE)
        if not os.path.isfile(path):
            raise FileNotFoundError(
                f"`folder` {folder!r} holds no {BUNDLE_FILE}: pass the folder that "
                "`rnnkit export MODEL --format tflite` wrote."
            )
        with open(path, encoding="utf-8") as f:
            self.config = json.load(f)
        if self.config.get("format") != BUNDLE_FORMAT:
            raise ValueError(
                f"{path} has format {self.config.get('format')!r}; this runner reads "
                f"{BUNDLE_FORMAT!r}."
            )
        self.application = self.config["application"]
        self.text = self.config["text"]
        self.runner = TFLiteRunner(
            model_path=os.path.join(folder, self.config["model"]),
            num_threads=num_threads,
        )
        self._encoders = {}

    def encoder(self, part: str | None = None) -> "text_rules.TextEncoder":
        """The `TextEncoder` of the text settings under `part` (e.g. "source";
        `None` for applications with one text)."""
        if part not in self._encoders:
            settings = self.text if part is None else self.text[part]
            self._encoders[part] = text_rules.TextEncoder(settings)
        return self._encoders[part]

    def _require(self, application: str, method: str) -> None:
        if self.application != application:
            raise ValueError(
                f"`{method}` runs {application} bundles; this bundle is "
                f"{self.application!r}."
            )

    def _ids(self, part, text) -> np.ndarray:
        """`(1, length)` int32 ids of `text`, trailing padding cut."""
        return trim_padding(np.array([self.encoder(part).encode(text)], np.int32))

    def _decode(self, inputs, part, max_length, beam_width, length_penalty):
        settings = self.text if part is None else self.text[part]
        go, eos = settings["go_id"], settings["eos_id"]
        if beam_width == 1:
            ids = self.runner.greedy_decode(inputs, go, eos, max_length)
        else:
            (ids, _), *_ = self.runner.beam_decode(
                inputs, go, eos, max_length, beam_width, length_penalty
            )
        return self.encoder(part).decode(ids)

    def classify(self, texts):
        """Sentiment: `(labels, probabilities (batch, num_classes))`.

        Labels are the class names, or the class ids without them.
        """
        self._require("sentiment", "classify")
        texts = [texts] if isinstance(texts, str | bytes) else list(texts)
        rows = [self._document_ids(text) for text in texts]
        probabilities = np.array(
            [self.runner.run(token_ids=ids)["probabilities"][0] for ids in rows],
            np.float32,
        ).reshape(len(texts), self.text["num_classes"])
        names = self.text["class_names"]
        labels = [names[i] if names else int(i) for i in probabilities.argmax(-1)]
        return labels, probabilities

    def _document_ids(self, text) -> np.ndarray:
        most = self.text["max_sentences"]
        if most is None:
            return self._ids(None, text)
        split = self.text["sentence_split"]
        encoder = self.encoder(None)
        sentences = [
            encoder.encode(sentence)
            for sentence in text_rules.split_sentences(
                text, split["line_break"], split["sentence_end"]
            )
            if encoder.tokens(sentence)
        ]
        if len(sentences) > most:
            if self.text["overflow"] != "truncate":
                raise ValueError(
                    f"`max_sentences`={most} is too small: the document has "
                    f"{len(sentences)} sentences."
                )
            sentences = sentences[:most]
        ids = np.zeros((1, most, encoder.sequence_length), np.int32)
        if sentences:
            ids[0, : len(sentences)] = sentences
        return trim_padding(ids)

    def translate(self, texts, beam_width=1, length_penalty=0.0):
        """Translation: a list of strings (a string for a string)."""
        self._require("translation", "translate")
        single = isinstance(texts, str | bytes)
        results = []
        for text in [texts] if single else texts:
            ids = self._ids("source", text)
            inputs = {"token_ids": ids, "padding_mask": ids != 0}
            results.append(
                self._decode(
                    inputs,
                    "target",
                    self.text["max_length"],
                    beam_width,
                    length_penalty,
                )
            )
        return results[0] if single else results

    def caption(self, images, beam_width=1, length_penalty=0.0):
        """Captioning: one string per image."""
        self._require("captioning", "caption")
        images = _check_images(images, self.text["image_size"])
        max_length = self.text["sequence_length"] - 1
        return [
            self._decode(
                {"images": image[None]}, None, max_length, beam_width, length_penalty
            )
            for image in images
        ]

    def answer(self, images, questions):
        """VQA: `(answers, probabilities (batch, num_answers))`."""
        self._require("vqa", "answer")
        images = _check_images(images, self.text["image_size"])
        questions = [questions] if isinstance(questions, str) else list(questions)
        _same_length(images=images, questions=questions)
        probabilities = np.array(
            [
                self.runner.run(
                    images=image[None], token_ids=self._ids(None, question)
                )["probabilities"][0]
                for image, question in zip(images, questions, strict=True)
            ],
            np.float32,
        ).reshape(len(questions), len(self.text["answers"]))
        answers = [self.text["answers"][i] for i in probabilities.argmax(-1)]
        return answers, probabilities

    def rank_answers(self, images, questions, histories, candidates):
        """Visual dialog: per dialog, a float32 array of one score per candidate
        (higher is better), as `VisualDialogModel.rank_answers` scores them."""
        self._require("visual_dialog", "rank_answers")
        images = _check_images(images, self.text["image_size"])
        _same_length(
            images=images,
            questions=questions,
            histories=histories,
            candidates=candidates,
        )
        (_, rounds, _), _ = self.runner.input_specs("encode")["history_token_ids"]
        scores = []
        for image, question, history, options in zip(
            images, questions, histories, candidates, strict=True
        ):
            history = [history] if isinstance(history, str) else list(history)
            if len(history) > rounds:
                raise ValueError(
                    f"`histories` holds a dialog of {len(history)} rounds; the "
                    f"export takes at most {rounds}."
                )
            encoder = self.encoder("history")
            padded = history + [""] * (rounds - len(history))
            encoding = self.runner.run(
                "encode",
                images=image[None],
                token_ids=self._ids("question", question),
                history_token_ids=trim_padding(
                    np.array([[encoder.encode(h) for h in padded]], np.int32)
                ),
            )["encoding"]
            # Every candidate in one call: (options, units) and (options, length).
            answers = self.encoder("answer")
            candidate_ids = np.array([answers.encode(o) for o in options], np.int32)
            scores.append(
                self.runner.run(
                    "score",
                    encoding=np.repeat(encoding, len(options), axis=0),
                    candidate_token_ids=trim_padding(candidate_ids),
                )["score"].astype(np.float32)
            )
        return scores
