"""LiteRT size and batch-1 latency of the five applications: masked loop, trimmed
loop, trimmed fused LSTM.

Each application is built the way `rnnkit train <app>` builds it (the registry's
offline default data and `build` with its default, non-tiny sizes), untrained:
latency and file size do not depend on the weights' values. Three `.tflite` files
per application:

- `masked_loop`: today's export, `export_tflite(task, path)`: the task's
  `tflite_signatures()`, fed a typical example padded as the preprocessor pads
  it, with the padding mask `token_ids != 0`; recurrent layers are `WHILE` loops.
- `trimmed_loop`: the same signatures rebuilt here from the task's own layers for
  an input already cut to its true length (batch 1 allows that), so no mask
  reaches a recurrent layer; `WHILE` loops.
- `trimmed_fused`: the trimmed signatures with `fuse_lstm=True`: every kit LSTM
  layer called without a mask, without `return_state` and from a zero state
  becomes LiteRT's `UNIDIRECTIONAL_SEQUENCE_LSTM`.

Where a layer cannot be trimmed or fused, the variant keeps it as it is and the
record says why (`fusable`): a layer whose final cell state is read (translation
and VQA encoders) has no fused form, a decoder that steps its cell once per
token (translation, captioning) has no sequence to fuse, and visual dialog's
history keeps its mask (its rounds have different lengths). A `BidirectionalRNN`
always asks its two inner layers for their states, so the trimmed sentiment
signature runs two plain `RNN` layers over the same cells instead.

One inference is what a device runs for one input: `serving_default` once
(sentiment, VQA); `encode` plus one `step` per token of a greedy decode of the
example's reference length (translation, captioning); `encode` plus one `score`
per candidate answer (visual dialog). Latency is the median of interleaved
repeats (the order rotating every round), with LiteRT's default XNNPACK
delegate (what `TFLiteRunner` and a plain `Interpreter` use) and without it.
Fused variable tensors are reset after every call in all three variants, as
`TFLiteRunner` does. Before timing, the trimmed variants' outputs (every
probability, step logit, encoding and score) are compared with the masked
variant's on the same example (`check`), and batch 8 is tried on the masked
file (`batch8`).
"""

import functools
import os
import statistics
import tempfile

import keras
import numpy as np
import tensorflow as tf
from ai_edge_litert.interpreter import Interpreter
from ai_edge_litert.interpreter import OpResolverType
from keras import ops

from benchmarks.timing import interleaved_medians
from keras_rnn_kit import applications
from keras_rnn_kit.data.image_io import preprocess_image_batch
from keras_rnn_kit.export import export_tflite
from keras_rnn_kit.export import list_tflite_ops
from keras_rnn_kit.layers import RNN
from keras_rnn_kit.models.sentiment.sentiment_backbone import bigram_ids
from keras_rnn_kit.models.sentiment.sentiment_export import probabilities
from keras_rnn_kit.models.translation.translator_signatures import flatten_state
from keras_rnn_kit.models.visual_dialog.visual_dialog_export import MAX_HISTORY_ROUNDS

NAMES = tuple(applications.APPLICATIONS)
# Variant -> the inputs it is fed (see the module docstring).
PROGRAMS = {
    "masked_loop": "masked",
    "trimmed_loop": "trimmed",
    "trimmed_fused": "trimmed",
}
VARIANTS = tuple(PROGRAMS)
# Suffix of the sessions without LiteRT's default XNNPACK delegate.
PLAIN = ":without_xnnpack"
FUSED_OP = "UNIDIRECTIONAL_SEQUENCE_LSTM"
TOLERANCE = 1e-5
# Latency ratios closer to 1 than this are reported as a tie: on a shared 2-core
# machine, byte-identical files measured up to 11% apart.
TIE = 0.12


class _Owner(keras.Model):
    """Owns a task and the extra layers its trimmed signatures call, so that
    `export_tflite` freezes their weights and finds their RNN layers."""

    def __init__(self, task, extra_layers):
        super().__init__(name=f"{task.name}_trimmed")
        self.task = task
        self.extra_layers = list(extra_layers)
        self.built = True


class _Case:
    """One application: the task, the trimmed signatures (and their owner), one
    inference per input kind (`programs`: `{"masked"|"trimmed": (call) ->
    [arrays]}`, `call(signature, inputs) -> outputs`) and what fuses."""

    def __init__(self, task, trimmed, programs, fusable, size, extra_layers=()):
        self.task = task
        self.owner = _Owner(task, extra_layers)
        self.trimmed = trimmed
        self.programs = programs
        self.fusable = fusable
        self.size = size


def _lookup(embedding, token_ids):
    """`embedding(token_ids)` without the Keras mask `mask_zero` would attach."""
    return ops.take(embedding.embeddings, token_ids, axis=0)


def _typical(lengths, eligible=None):
    """`(index, length)` of the first example of median length (among the
    `eligible` ones)."""
    lengths = np.asarray(lengths)
    eligible = np.ones(len(lengths), bool) if eligible is None else eligible
    median = int(np.quantile(lengths[eligible], 0.5, method="inverted_cdf"))
    return int(np.flatnonzero(eligible & (lengths == median))[0]), median


def _int_spec(shape, name):
    return tf.TensorSpec(shape, tf.int32, name=name)


def _image_spec(size):
    return tf.TensorSpec((1, size, size, 3), tf.float32, name="images")


def _classify(inputs):
    return lambda call: [call("serving_default", inputs)["probabilities"]]


def _decode(inputs, go_id, steps, step_inputs):
    """One greedy decode of `steps` tokens: every step's logits."""

    def program(call):
        encoded = call("encode", inputs)
        context = {k: v for k, v in encoded.items() if k in step_inputs}
        token, logits = go_id, []
        for _ in range(steps):
            feed = {"token_ids": np.array([token], np.int32), **context}
            outputs = call("step", feed)
            context.update({k: v for k, v in outputs.items() if k in context})
            logits.append(outputs["logits"])
            token = int(np.argmax(outputs["logits"]))
        return logits

    return program


def _sentiment(task, data):
    """Trimmed: the BiLSTM as two plain RNN layers over its cells, no mask."""
    backbone = task.backbone
    if (backbone.structure, backbone.num_layers) != ("bidirectional", 1):
        raise NotImplementedError("trimming covers one-layer BiRNN backbones")
    pair = backbone.get_layer("bidirectional_0")
    sequences = backbone.pooling != "last"
    twins = [
        RNN(pair.forward_layer.cell, return_sequences=sequences),
        RNN(pair.backward_layer.cell, go_backwards=True, return_sequences=sequences),
    ]
    head = task.get_layer("logits")

    @tf.function(input_signature=[_int_spec((1, None), "token_ids")])
    def serving_default(token_ids):
        # (1, length, embedding_dim), twice that with the token-pair embedding.
        x = _lookup(backbone.token_embedding, token_ids)
        if backbone.bigram_buckets:
            pairs = bigram_ids(
                token_ids,
                ops.ones_like(token_ids, "bool"),
                backbone.vocabulary_size,
                backbone.bigram_buckets,
            )
            x = ops.concatenate(
                [x, _lookup(backbone.get_layer("bigram_embedding"), pairs)], -1
            )
        outputs = [twin(x) for twin in twins]
        if backbone.pooling == "max_mean":
            # Order-free over time: the backward outputs need no flip back.
            outputs = [ops.max(o, axis=1) for o in outputs] + [
                ops.mean(o, axis=1) for o in outputs
            ]
        elif sequences:
            raise NotImplementedError(f"trimming has no {backbone.pooling!r} pooling")
        features = ops.concatenate(outputs, axis=-1)
        return {"probabilities": probabilities(task, head(features))}

    ids = task.preprocessor(np.array(data.test[0]))["token_ids"].numpy()
    index, length = _typical((ids != 0).sum(axis=1))
    width = backbone.embedding_dim * (2 if backbone.bigram_buckets else 1)
    for twin in twins:
        twin(np.zeros((1, 1, width), "float32"))
    return _Case(
        task,
        {"serving_default": serving_default},
        {
            "masked": _classify({"token_ids": ids[index : index + 1]}),
            "trimmed": _classify({"token_ids": ids[index : index + 1, :length]}),
        },
        "yes: both directions, as two plain RNN layers over the BiRNN's cells",
        f"{length} of {ids.shape[1]} tokens, vocab {backbone.vocabulary_size:,}, "
        f"BiLSTM {backbone.units}, {backbone.bigram_buckets:,} token pairs, "
        f"{backbone.pooling} pooling",
        twins,
    )


def _translation(task, data):
    """Trimmed: `encode` without the source mask (all-true `memory_mask`);
    `step` is the task's own."""
    backbone = task.backbone
    preprocessor = task.preprocessor
    masked = task.tflite_signatures()

    @tf.function(input_signature=[_int_spec((1, None), "token_ids")])
    def encode(token_ids):
        memory, cell_states = backbone.encode_layers(token_ids, None, training=False)
        return flatten_state(
            {
                "cell_states": cell_states,
                "feed": ops.zeros((1, backbone.decoder.units), memory.dtype),
                "memory": memory,
                "keys": backbone.decoder.prepare_memory(memory),
                "memory_mask": ops.ones_like(token_ids, dtype="bool"),
            }
        )

    sources, targets = data.test
    source = preprocessor.source_preprocessor(sources)
    ids = source["token_ids"].numpy()
    index, length = _typical(source["padding_mask"].numpy().sum(axis=1))
    target = preprocessor.target_preprocessor([targets[index]])["token_ids"]
    steps = int(np.count_nonzero(target.numpy())) - 1  # words and <eos>
    step_inputs = [spec.name for spec in masked["step"].input_signature]
    go_id = preprocessor.target_vocabulary.go_id
    row = ids[index : index + 1]
    return _Case(
        task,
        {"encode": encode, "step": masked["step"]},
        {
            "masked": _decode(
                {"token_ids": row, "padding_mask": row != 0}, go_id, steps, step_inputs
            ),
            "trimmed": _decode(
                {"token_ids": row[:, :length]}, go_id, steps, step_inputs
            ),
        },
        "no: the BiLSTM encoder's final cell states feed the decoder bridge "
        "(return_state); the decoder steps its cell once per token",
        f"{length} of {ids.shape[1]} source tokens, {steps} steps, vocab "
        f"{backbone.source_vocabulary_size:,}/{backbone.target_vocabulary_size:,}, "
        f"units {backbone.units}",
    )


def _captioning(task, data):
    """Trimmed: the task's own signatures (nothing is masked)."""
    images, captions = data.test
    text = task.preprocessor.text_preprocessor([*captions])["token_ids"].numpy()
    index, tokens = _typical((text != 0).sum(axis=1))
    steps = tokens - 1  # <go> w_1 .. w_n <eos>: n words and <eos> to produce
    inputs = {"images": task.preprocessor.preprocess_images(images[index : index + 1])}
    program = _decode(
        {k: np.asarray(v) for k, v in inputs.items()},
        task.preprocessor.vocabulary.go_id,
        steps,
        [spec.name for spec in task.tflite_signatures()["step"].input_signature],
    )
    backbone = task.backbone
    return _Case(
        task,
        task.tflite_signatures(),
        {"masked": program, "trimmed": program},
        "no: no mask and no recurrent layer over a sequence in the export "
        "(encode is the CNN; step runs the attention decoder's cell once)",
        f"{steps} steps, image {backbone.image_size}px, vocab "
        f"{backbone.vocabulary_size:,}, units {backbone.units}",
    )


def _branch(backbone, inputs, layer_name):
    """The backbone's functional graph from `inputs` to a layer's output."""
    return keras.Model(
        {name: backbone.input[name] for name in inputs},
        backbone.get_layer(layer_name).output,
    )


def _vqa(task, data):
    """Trimmed: the question LSTM stack without a mask."""
    backbone = task.backbone
    image_branch = _branch(backbone, ["images"], "image_projection")
    question_rnn = backbone.get_layer("question_rnn")
    image_spec = _image_spec(backbone.image_size)

    @tf.function(input_signature=[image_spec, _int_spec((1, None), "token_ids")])
    def serving_default(images, token_ids):
        # 1. Image and question vectors: (1, fusion_dim) each; no mask.
        image = image_branch({"images": images}, training=False)
        x = _lookup(backbone.get_layer("token_embedding"), token_ids)
        _, *states = question_rnn(x, training=False)
        states = backbone.get_layer("question_states")(states)
        question = backbone.get_layer("question_projection")(states)
        # 2. Fusion and the answer head: (1, num_answers).
        fused = backbone.get_layer("fusion")([image, question])
        hidden = task.get_layer("answer_hidden")(fused)
        logits = task.get_layer("answer_logits")(hidden)
        return {"probabilities": ops.softmax(logits, axis=-1)}

    test = data.test
    ids = task.preprocessor.text_preprocessor(test.questions)["token_ids"].numpy()
    index, length = _typical((ids != 0).sum(axis=1))
    image = test.images[test.image_index[index]][None]
    image = np.asarray(task.preprocessor.preprocess_images(image))
    row = ids[index : index + 1]
    return _Case(
        task,
        {"serving_default": serving_default},
        {
            "masked": _classify({"images": image, "token_ids": row}),
            "trimmed": _classify({"images": image, "token_ids": row[:, :length]}),
        },
        "no: the stacked LSTM's final h and c of both layers feed the question "
        "projection (return_state)",
        f"{length} of {ids.shape[1]} tokens, image {backbone.image_size}px, vocab "
        f"{backbone.vocabulary_size:,}, 2 x LSTM {backbone.hidden_dim}",
        [image_branch],
    )


def _visual_dialog(task, data):
    """Trimmed: the question and candidate LSTMs without a mask; the history
    keeps its mask and its `MAX_HISTORY_ROUNDS` rounds."""
    backbone = task.backbone
    pre = task.preprocessor
    image_branch = _branch(backbone, ["images"], "image_projection")
    history_names = ["history_token_ids", "history_padding_mask"]
    history_branch = _branch(backbone, history_names, "history_rnn")
    embedding = backbone.get_layer("token_embedding")
    history_shape = (1, MAX_HISTORY_ROUNDS, pre.history_length)

    @tf.function(
        input_signature=[
            _image_spec(backbone.image_size),
            _int_spec((1, None), "token_ids"),
            _int_spec(history_shape, "history_token_ids"),
        ]
    )
    def encode(images, token_ids, history_token_ids):
        # 1. Image (1, units), question without a mask (1, units).
        image = image_branch({"images": images}, training=False)
        question = backbone.get_layer("question_rnn")(_lookup(embedding, token_ids))
        # 2. History: its rounds differ in length, so it keeps its mask. (1, units)
        history = history_branch(
            {
                "history_token_ids": history_token_ids,
                "history_padding_mask": tf.not_equal(history_token_ids, 0),
            },
            training=False,
        )
        fused = backbone.get_layer("fused")([image, question, history])
        return {"encoding": backbone.get_layer("fusion")(fused)}

    answer_rnn = backbone.get_layer("answer_rnn").layer

    @tf.function(
        input_signature=[
            tf.TensorSpec((1, backbone.units), tf.float32, name="encoding"),
            _int_spec((1, None), "candidate_token_ids"),
        ]
    )
    def score(encoding, candidate_token_ids):
        candidate = answer_rnn(_lookup(embedding, candidate_token_ids))
        return {"score": tf.reduce_sum(encoding * candidate, axis=-1)}

    test = data.test
    ids = pre.question_text(test.questions)["token_ids"].numpy()
    lengths = (ids != 0).sum(axis=1)
    rounds = np.count_nonzero(test.histories != "", axis=1)
    typical_rounds = int(np.quantile(rounds, 0.5, method="inverted_cdf"))
    index, length = _typical(lengths, rounds == typical_rounds)
    history = np.full((1, MAX_HISTORY_ROUNDS), "", dtype=object)
    history[0, : test.histories.shape[1]] = test.histories[index]
    history = pre.encode_nested(pre.history_text, tf.constant(history.astype(str)))
    image = test.images[test.image_index[index]][None]
    common = {
        "images": np.asarray(preprocess_image_batch(image, pre.image_size)),
        "history_token_ids": history["token_ids"].numpy().astype("int32"),
    }
    candidates = pre.answer_text(test.candidates)["token_ids"].numpy()

    def program(question, trim):
        def run(call):
            encoding = call("encode", {**common, "token_ids": question})["encoding"]
            scores = []
            for row in candidates:
                ids = row[None, : np.count_nonzero(row)] if trim else row[None]
                feed = {"encoding": encoding, "candidate_token_ids": ids}
                scores.append(call("score", feed)["score"])
            return [encoding, *scores]

        return run

    row = ids[index : index + 1]
    return _Case(
        task,
        {"encode": encode, "score": score},
        {"masked": program(row, False), "trimmed": program(row[:, :length], True)},
        "partly: the question and answer LSTMs fuse; the history's hierarchical "
        "LSTMs keep their mask and loop",
        f"{length} of {ids.shape[1]} question tokens, {typical_rounds} of "
        f"{MAX_HISTORY_ROUNDS} history rounds, {len(candidates)} candidates, vocab "
        f"{backbone.vocabulary_size:,}, units {backbone.units}",
        [image_branch, history_branch],
    )


BUILDERS = {
    "sentiment": _sentiment,
    "translation": _translation,
    "captioning": _captioning,
    "vqa": _vqa,
    "visual-dialog": _visual_dialog,
}


class _Session:
    """Named signature calls on one `.tflite` file; variables reset after each.

    LiteRT allocates a signature's tensors on its first call, and
    `reset_all_variables` fails while any signature's variable tensors (the
    fused LSTMs' states) are unallocated, so every signature runs once on zeros
    first. `xnnpack=False` runs LiteRT's builtin kernels without its default
    delegate.
    """

    def __init__(self, path, xnnpack=True):
        resolver = OpResolverType.AUTO
        if not xnnpack:
            resolver = OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES
        self.interpreter = Interpreter(
            model_path=path, experimental_op_resolver_type=resolver
        )
        names = self.interpreter.get_signature_list()
        self.runners = {n: self.interpreter.get_signature_runner(n) for n in names}
        for runner in self.runners.values():
            runner(
                **{
                    name: np.zeros(np.maximum(d["shape_signature"], 1), d["dtype"])
                    for name, d in runner.get_input_details().items()
                }
            )
        self.interpreter.reset_all_variables()

    def __call__(self, name, inputs):
        outputs = self.runners[name](**inputs)
        self.interpreter.reset_all_variables()
        return outputs


def _rotated_medians(fns, repeats, warmup=3):
    """`interleaved_medians`, starting each round one callable further on."""
    names = list(fns)
    for name in names:
        for _ in range(warmup):
            fns[name]()
    times = {name: [] for name in names}
    for index in range(repeats):
        shift = index % len(names)
        order = names[shift:] + names[:shift]
        once = interleaved_medians({name: fns[name] for name in order}, 1, warmup=0)
        for name, seconds in once.items():
            times[name].append(seconds)
    return {name: statistics.median(values) for name, values in times.items()}


def _max_difference(outputs, reference):
    return max(
        float(np.max(np.abs(np.asarray(a) - np.asarray(b))))
        for a, b in zip(outputs, reference, strict=True)
    )


def _batch8(path, name, inputs, repeats):
    """Runs signature `name` of the file at `path` on 8 copies of `inputs`.

    Returns:
        `{"supported", "note"}`, plus `batch1_s` and `batch8_s` (seconds per
        call of that one signature) when 8 rows run and match the single row.
    """
    tiled = {k: np.repeat(np.asarray(v), 8, axis=0) for k, v in inputs.items()}
    eight = _Session(path)
    try:
        outputs = eight(name, tiled)
    except (RuntimeError, ValueError) as error:
        reason = str(error).strip().splitlines()[0][:160]
        note = f"not supported: `{name}` resized to batch 8 fails in LiteRT: {reason}"
        return {"supported": False, "note": note}
    one = _Session(path)
    single = one(name, inputs)
    if not all(
        np.allclose(outputs[k], np.repeat(single[k], 8, axis=0), atol=TOLERANCE)
        for k in single
    ):
        note = f"not supported: `{name}` runs 8 rows but they differ from batch 1"
        return {"supported": False, "note": note}
    calls = {
        "batch1_s": functools.partial(one, name, inputs),
        "batch8_s": functools.partial(eight, name, tiled),
    }
    seconds = _rotated_medians(calls, repeats)
    note = (
        f"`{name}`: 8 rows {seconds['batch8_s'] * 1e3:.3f} ms per call, 1 row "
        f"{seconds['batch1_s'] * 1e3:.3f} ms"
    )
    return {"supported": True, "note": note, **seconds}


def _verdict(result):
    """One line: the faster path, the ratios, and any output mismatch."""
    v, check = result["variants"], result["check"]
    trim = v["masked_loop"]["seconds"] / v["trimmed_loop"]["seconds"]
    fuse = v["trimmed_loop"]["seconds"] / v["trimmed_fused"]["seconds"]
    trimmed = f"trimmed {trim:.2f}x the masked loop's speed"
    if not check["trimmed_matches_masked"]:
        trimmed += " (outputs differ!)"
    if not v["trimmed_fused"]["fused_lstm"]:
        return f"WHILE loop (nothing fuses); {trimmed}"
    if abs(fuse - 1) < TIE:
        verdict = f"tie: fused {fuse:.2f}x the loop's speed"
    else:
        faster = "fused LSTM" if fuse > 1 else "WHILE loop"
        verdict = f"{faster} faster: fused {fuse:.2f}x the loop's speed"
    if not check["fused_matches_masked"]:
        verdict += (
            f", but fused outputs are off by {check['trimmed_fused_max_abs_diff']:.1e}"
            f" ({check['trimmed_fused_max_abs_diff_without_xnnpack']:.1e} without "
            "XNNPACK)"
        )
    return f"{verdict}; {trimmed}"


def measure(name, repeats, tiny=False, seed=0, folder=None):
    """Builds, exports, checks and times one application; returns its results."""
    folder = folder or tempfile.mkdtemp()
    app = applications.get_application(name)
    keras.utils.set_random_seed(seed)
    data = app.load(None, tiny, seed)
    case = BUILDERS[name](app.build(data, tiny), data)
    paths = {v: os.path.join(folder, f"{name}_{v}.tflite") for v in VARIANTS}
    export_tflite(case.task, paths["masked_loop"], overwrite=True)
    for variant, fuse in (("trimmed_loop", False), ("trimmed_fused", True)):
        export_tflite(
            case.owner,
            paths[variant],
            signatures=case.trimmed,
            overwrite=True,
            fuse_lstm=fuse,
        )
    sessions = {variant: _Session(path) for variant, path in paths.items()}
    sessions.update(
        {f"{v}{PLAIN}": _Session(path, xnnpack=False) for v, path in paths.items()}
    )
    runs = {
        key: functools.partial(case.programs[PROGRAMS[key.split(":")[0]]], session)
        for key, session in sessions.items()
    }
    calls = []

    def recording(signature, inputs):
        calls.append((signature, inputs))
        return sessions["masked_loop"](signature, inputs)

    reference = case.programs["masked"](recording)
    check = {
        f"{variant}_max_abs_diff": _max_difference(runs[variant](), reference)
        for variant in VARIANTS[1:]
    }
    check["trimmed_fused_max_abs_diff_without_xnnpack"] = _max_difference(
        runs[f"trimmed_fused{PLAIN}"](), reference
    )
    check["tolerance"] = TOLERANCE
    check["trimmed_matches_masked"] = check["trimmed_loop_max_abs_diff"] <= TOLERANCE
    check["fused_matches_masked"] = check["trimmed_fused_max_abs_diff"] <= TOLERANCE
    seconds = _rotated_medians(runs, repeats)
    variants = {}
    for variant, path in paths.items():
        with open(path, "rb") as f:
            ops_used = list_tflite_ops(f.read())
        variants[variant] = {
            "bytes": os.path.getsize(path),
            "seconds": seconds[variant],
            "seconds_without_xnnpack": seconds[f"{variant}{PLAIN}"],
            "while_loop": "WHILE" in ops_used,
            "fused_lstm": FUSED_OP in ops_used,
        }
    return {
        "app": name,
        "size": case.size + (" (tiny)" if tiny else ""),
        "fusable": case.fusable,
        "variants": variants,
        "check": check,
        "batch8": _batch8(paths["masked_loop"], *calls[0], repeats),
    }


def run(names=NAMES, repeats=20, tiny=False):
    """Returns two records per application: trimmed vs masked, fused vs loop.

    Args:
        names: application names (`keras_rnn_kit.applications.APPLICATIONS`).
        repeats: interleaved timed inferences per variant (median reported).
        tiny: the applications' tiny data and models (for tests).

    Returns:
        Records (`phase` `"app tflite trim"` / `"app tflite fuse"`) whose
        `kit_s`/`baseline_s` are seconds per inference and which carry the
        application's full results (`variants`, `check`, `batch8`, `verdict`).
    """
    records = []
    for name in names:
        result = measure(name, repeats, tiny)
        v = result["variants"]
        result["verdict"] = _verdict(result)
        pairs = (
            ("trim", "trimmed_loop", "masked_loop", "trimmed input, no mask, WHILE"),
            ("fuse", "trimmed_fused", "trimmed_loop", "trimmed input, fuse_lstm=True"),
        )
        for phase, kit, baseline, description in pairs:
            records.append(
                {
                    "name": f"{name} LiteRT {kit} vs {baseline}",
                    "kit": f"{name}: {description}",
                    "baseline": f"{name}: {baseline.replace('_', ' ')}",
                    "phase": f"app tflite {phase}",
                    "size": result["size"],
                    "kit_s": v[kit]["seconds"],
                    "baseline_s": v[baseline]["seconds"],
                    "speedup": v[baseline]["seconds"] / v[kit]["seconds"],
                    "kit_bytes": v[kit]["bytes"],
                    "baseline_bytes": v[baseline]["bytes"],
                    "baseline_note": f"fused op in kit file: {v[kit]['fused_lstm']}",
                    **result,
                }
            )
    return records
