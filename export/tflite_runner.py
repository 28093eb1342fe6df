"""A pure-Python LiteRT runner: named signatures, greedy and beam decoding.

It needs only numpy and `ai_edge_litert` (no TensorFlow), so it can be copied as
one file next to a `.tflite` on a device.

Generation models export two signatures into one file (see `export_tflite`):

- `encode`: any named inputs (e.g. `token_ids` of shape `(1, time)`); returns
  the initial decoder context as named outputs (e.g. `h`, `c`, and for
  attention the encoder outputs).
- `step`: `token_ids` of shape `(1,)` (the previous token) plus every other
  input named after an `encode` output; returns `logits` `(1, vocab)` and the
  updated states under the same names as the inputs they replace. Inputs the
  step does not return (e.g. encoder outputs) stay as `encode` produced them.
"""

import numpy as np
from ai_edge_litert.interpreter import Interpreter

TOKEN_INPUT = "token_ids"
LOGITS_OUTPUT = "logits"


def log_softmax(logits: np.ndarray) -> np.ndarray:
    """Returns `log(softmax(logits))` along the last axis, computed stably."""
    shifted = logits - np.max(logits, axis=-1, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))


class TFLiteRunner:
    """Runs the signatures of a `.tflite` model by name.

    Args:
        model_path: path of a `.tflite` file (or pass `model_content`).
        model_content: the bytes of a `.tflite` model.
        num_threads: CPU threads for the interpreter (default: LiteRT's).

    Example:

    >>> runner = TFLiteRunner("translator.tflite")  # doctest: +SKIP
    >>> runner.greedy_decode({"token_ids": source}, go_id=1, eos_id=2,
    ...                      max_length=20)  # doctest: +SKIP
    [14, 7, 9]
    """

    def __init__(self, model_path=None, model_content=None, num_threads=None):
        if (model_path is None) == (model_content is None):
            raise ValueError(
                "Pass exactly one of `model_path` and `model_content`; got "
                f"model_path={model_path!r} and "
                f"model_content={'bytes' if model_content else None}."
            )
        self.interpreter = Interpreter(
            model_path=model_path, model_content=model_content, num_threads=num_threads
        )
        self.signatures = self.interpreter.get_signature_list()
        self._runners = {}

    def _runner(self, signature: str):
        if signature not in self.signatures:
            raise KeyError(
                f"`signature` must be one of {sorted(self.signatures)}; got "
                f"{signature!r}."
            )
        if signature not in self._runners:
            self._runners[signature] = self.interpreter.get_signature_runner(signature)
        return self._runners[signature]

    def run(self, signature: str = "serving_default", **inputs) -> dict:
        """Calls one signature with numpy inputs; returns its named outputs.

        Inputs are cast to the dtypes the model declares; an input whose shape
        differs from the declared one (e.g. another sequence length) resizes it.
        Variable tensors (the state of fused LSTM ops) are reset after each call.
        """
        runner = self._runner(signature)
        details = runner.get_input_details()
        expected = sorted(details)
        if sorted(inputs) != expected:
            raise ValueError(
                f"Signature {signature!r} takes inputs {expected}; got "
                f"{sorted(inputs)}."
            )
        feed = {
            name: np.asarray(value, dtype=details[name]["dtype"])
            for name, value in inputs.items()
        }
        outputs = {name: np.array(value) for name, value in runner(**feed).items()}
        # Fused sequence LSTMs keep their state in variable tensors between
        # invocations; reset it so that every call starts from the zero state.
        self.interpreter.reset_all_variables()
        return outputs

    def _check_generation_signatures(self, encode: str, step: str) -> None:
        for name in (encode, step):
            self._runner(name)
        step_inputs = self.signatures[step]["inputs"]
        if TOKEN_INPUT not in step_inputs:
            raise ValueError(
                f"Signature {step!r} must take {TOKEN_INPUT!r}; it takes {step_inputs}."
            )
        if LOGITS_OUTPUT not in self.signatures[step]["outputs"]:
            raise ValueError(
                f"Signature {step!r} must return {LOGITS_OUTPUT!r}; it returns "
                f"{self.signatures[step]['outputs']}."
            )
        missing = (
            set(step_inputs) - {TOKEN_INPUT} - set(self.signatures[encode]["outputs"])
        )
        if missing:
            raise ValueError(
                f"Inputs {sorted(missing)} of {step!r} are not outputs of {encode!r} "
                f"({self.signatures[encode]['outputs']})."
            )

    def _initial_context(self, inputs: dict, encode: str, step: str) -> dict:
        encoded = self.run(encode, **inputs)
        step_inputs = self.signatures[step]["inputs"]
        return {
            k: v for k, v in encoded.items() if k in step_inputs and k != TOKEN_INPUT
        }

    def _step(self, step: str, token: int, context: dict):
        """Runs one step; returns `(log_probs (vocab,), next context)`."""
        shape = self._runner(step).get_input_details()[TOKEN_INPUT]["shape"]
        tokens = np.full(shape, token)
        outputs = self.run(step, **{TOKEN_INPUT: tokens}, **context)
        updated = {k: outputs.get(k, v) for k, v in context.items()}
        return log_softmax(outputs[LOGITS_OUTPUT].reshape(-1)), updated

    def greedy_decode(
        self, inputs, go_id, eos_id, max_length, encode="encode", step="step"
    ) -> list[int]:
        """Decodes by always taking the most likely next token.

        Args:
            inputs: dict of numpy inputs of the `encode` signature.
            go_id: the start token fed at the first step.
            eos_id: the end token; decoding stops when it is produced.
            max_length: the most tokens produced.
            encode: name of the encoder signature.
            step: name of the one-step decoder signature.

        Returns:
            The produced token ids, without `go_id` and without the final `eos_id`.
        """
        self._check_generation_signatures(encode, step)
        context = self._initial_context(inputs, encode, step)
        tokens, token = [], go_id
        for _ in range(max_length):
            log_probs, context = self._step(step, token, context)
            token = int(np.argmax(log_probs))
            if token == eos_id:
                break
            tokens.append(token)
        return tokens

    def beam_decode(
        self,
        inputs,
        go_id,
        eos_id,
        max_length,
        beam_size=4,
        length_penalty=0.0,
        encode="encode",
        step="step",
    ) -> list[tuple[list[int], float]]:
        """Beam search over the `step` signature.

        At each position every live hypothesis proposes its `beam_size` best
        next tokens and the `beam_size` best candidates overall survive; a
        candidate ending in `eos_id` is finished and keeps its slot. With
        `beam_size=1` this is `greedy_decode`.

        Args:
            inputs, go_id, eos_id, max_length, encode, step: as in `greedy_decode`.
            beam_size: int > 0, hypotheses kept per position.
            length_penalty: alpha of the ranking score `log p / length ** alpha`
                (0 ranks by total log-probability).

        Returns:
            `(tokens, log_prob)` pairs, best first; tokens exclude `go_id` and
            the final `eos_id`, `log_prob` includes the `eos_id` step.
        """
        if not isinstance(beam_size, int) or beam_size <= 0:
            raise ValueError(
                f"`beam_size` must be a positive integer, got {beam_size!r}."
            )
        self._check_generation_signatures(encode, step)
        beams = [([], 0.0, self._initial_context(inputs, encode, step))]
        finished = []
        for _ in range(max_length):
            candidates = []
            for tokens, score, context in beams:
                log_probs, next_context = self._step(
                    step, tokens[-1] if tokens else go_id, context
                )
                for token in np.argsort(-log_probs, kind="stable")[:beam_size]:
                    candidates.append(
                        (
                            tokens + [int(token)],
                            score + float(log_probs[token]),
                            next_context,
                        )
                    )
            candidates.sort(key=lambda candidate: -candidate[1])
            beams = []
            for tokens, score, context in candidates[:beam_size]:
                if tokens[-1] == eos_id:
                    finished.append((tokens[:-1], score, len(tokens)))
                else:
                    beams.append((tokens, score, context))
            if not beams:
                break
        finished.extend((tokens, score, len(tokens)) for tokens, score, _ in beams)
        finished.sort(key=lambda f: -f[1] / max(f[2], 1) ** length_penalty)
        return [(tokens, score) for tokens, score, _ in finished]
