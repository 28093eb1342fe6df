"""A pure-Python LiteRT runner: named signatures, greedy and beam decoding.

It needs only numpy and `ai_edge_litert` (no TensorFlow), so it can be copied as
one file next to a `.tflite` on a device. `TFLiteRunner.run` checks every input
against the file before LiteRT sees it (`checked_input`): only the axes exported
as unknown are resized, and only value-preserving dtype casts are made.

Generation models export two signatures into one file (see `export_tflite`):

- `encode`: any named inputs (e.g. `token_ids` of shape `(1, time)`); returns
  the initial decoder context as named outputs (e.g. `h`, `c`, and for
  attention the encoder outputs).
- `step`: `token_ids` of shape `(1,)` or `(None,)` (the previous token; the
  decoders here feed one hypothesis per call) plus every other
  input named after an `encode` output; returns `logits` `(1, vocab)` and the
  updated states under the same names as the inputs they replace. Inputs the
  step does not return (e.g. encoder outputs) stay as `encode` produced them.
"""

import numpy as np
from ai_edge_litert import schema_py_generated as schema
from ai_edge_litert.interpreter import Interpreter

TOKEN_INPUT = "token_ids"
LOGITS_OUTPUT = "logits"


def _has_variables(content: bytes) -> bool:
    """Whether the `.tflite` flatbuffer holds variable tensors (fused LSTMs)."""
    model = schema.Model.GetRootAs(content, 0)
    for i in range(model.SubgraphsLength()):
        subgraph = model.Subgraphs(i)
        for j in range(subgraph.TensorsLength()):
            if subgraph.Tensors(j).IsVariable():
                return True
    return False


def log_softmax(logits: np.ndarray) -> np.ndarray:
    """Returns `log(softmax(logits))` along the last axis, computed stably."""
    shifted = logits - np.max(logits, axis=-1, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))


_KINDS = {"b": "bool", "i": "integer", "u": "integer", "f": "float"}


def _cast(where: str, array: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """Casts `array` to `dtype` when no value changes but a float's precision."""
    if array.dtype == dtype:
        return array
    got, want = _KINDS.get(array.dtype.kind), _KINDS.get(dtype.kind)
    if want is None:
        return array.astype(dtype)
    if got != want:
        raise ValueError(
            f"{where} takes {dtype.name}; got {array.dtype.name}. Cast it first: "
            "only integers to another integer type and floats to another float "
            "width are cast here."
        )
    if want == "integer" and array.size:
        info, low, high = np.iinfo(dtype), array.min(), array.max()
        if low < info.min or high > info.max:
            raise ValueError(
                f"{where} takes {dtype.name}; got {array.dtype.name} values in "
                f"[{low}, {high}], outside {dtype.name}'s [{info.min}, {info.max}]."
            )
    return array.astype(dtype)


def checked_input(
    signature: str, name: str, value, shape: tuple, dtype: np.dtype
) -> np.ndarray:
    """Returns `value` as an array of `dtype` after checking it against the
    exported `shape` (`None`: any size); raises a `ValueError` otherwise.

    A fixed axis is never resized: a LiteRT graph built for that size either
    fails to prepare or silently computes something else (e.g. a 64x64 image
    run through a 32x32 model).
    """
    where = f"Signature {signature!r} input {name!r}"
    array = _cast(where, np.asarray(value), np.dtype(dtype))
    fits = array.ndim == len(shape) and all(
        want in (None, got) for want, got in zip(shape, array.shape, strict=True)
    )
    if fits:
        return array
    message = (
        f"{where} has shape {shape} (None: any size); got {array.shape}. Only "
        "the None axes can change size."
    )
    if array.ndim == len(shape) and shape[0] not in (None, array.shape[0]):
        rows = shape[0]
        message += (
            f" The file was exported at batch {rows}: feed {rows} "
            f"row{'s' if rows > 1 else ''} at a time, or re-export it with a "
            f"batch-{array.shape[0]} signature."
        )
    raise ValueError(message)


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
        if model_content is None:
            with open(model_path, "rb") as f:
                model_content = f.read()
        self.interpreter = Interpreter(
            model_content=model_content, num_threads=num_threads
        )
        self.signatures = self.interpreter.get_signature_list()
        self._runners = {}
        self._input_specs = {}
        # `reset_all_variables` fails while any signature's variable tensors
        # (fused LSTM states) are unallocated, i.e. before its first call.
        self._unwarmed = len(self.signatures) > 1 and _has_variables(model_content)

    def _warm_up(self) -> None:
        """Calls every signature once on zeros, so all variables are allocated."""
        for name in self.signatures:
            runner = self._runner(name)
            runner(
                **{
                    key: np.zeros(
                        np.maximum(detail["shape_signature"], 1), detail["dtype"]
                    )
                    for key, detail in runner.get_input_details().items()
                }
            )
        self._unwarmed = False

    def _runner(self, signature: str):
        if signature not in self.signatures:
            raise KeyError(
                f"`signature` must be one of {sorted(self.signatures)}; got "
                f"{signature!r}."
            )
        if signature not in self._runners:
            self._runners[signature] = self.interpreter.get_signature_runner(signature)
        return self._runners[signature]

    def input_specs(self, signature: str) -> dict:
        """Returns `{input name: (shape, dtype)}` of one signature as exported;
        `None` marks an axis of any size (the only axes a call may resize)."""
        if signature not in self._input_specs:
            details = self._runner(signature).get_input_details()
            self._input_specs[signature] = {
                name: (
                    tuple(None if d < 0 else int(d) for d in detail["shape_signature"]),
                    np.dtype(detail["dtype"]),
                )
                for name, detail in details.items()
            }
        return self._input_specs[signature]

    def run(self, signature: str = "serving_default", **inputs) -> dict:
        """Calls one signature with numpy inputs; returns its named outputs.

        Every input must have the exported shape except on the axes exported
        as unknown (e.g. the time axis, and the batch where the signature
        leaves it unknown), which are resized; any other difference, a fixed
        batch size included, raises a `ValueError` naming the signature, the
        input and both shapes (`input_specs`). Integers are cast
        to the declared integer type when every value fits (e.g. int64 token
        ids to int32) and floats to the declared float width; any other dtype
        difference raises. Variable tensors (the state of fused LSTM ops) are
        reset after each call.
        """
        runner = self._runner(signature)
        if self._unwarmed:
            self._warm_up()
        specs = self.input_specs(signature)
        if sorted(inputs) != sorted(specs):
            raise ValueError(
                f"Signature {signature!r} takes inputs {sorted(specs)}; got "
                f"{sorted(inputs)}."
            )
        feed = {
            name: checked_input(signature, name, value, *specs[name])
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
        shape = self.input_specs(step)[TOKEN_INPUT][0]
        tokens = np.full([1 if size is None else size for size in shape], token)
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
