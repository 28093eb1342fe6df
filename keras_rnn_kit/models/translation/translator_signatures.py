"""The Translator's export signatures (the `keras_rnn_kit.export` protocol).

`serving_signatures` serve raw strings with core TF ops only (stock TF Serving);
`tflite_signatures` expose the batch-1 `encode` / `step` pair that
`keras_rnn_kit.export.TFLiteRunner` decodes greedily or with beam search. The
step's state travels as flat named tensors: `cell_state_<i>`, `feed`, `memory`,
`keys`, `memory_mask` and `source_ids` (encoder-side tensors the step passes
through unchanged are not returned, so the runner keeps `encode`'s values).
"""

import tensorflow as tf

# The state tensors with a source-length axis (the encoder side), and all.
SOURCE_STATE_NAMES = ("memory", "keys", "memory_mask", "source_ids")
STATE_NAMES = ("feed", *SOURCE_STATE_NAMES)


def flatten_state(state):
    """`Translator.encode`'s nested state -> `{name: tensor}`."""
    flat = {f"cell_state_{i}": s for i, s in enumerate(state["cell_states"])}
    flat.update({name: state[name] for name in STATE_NAMES})
    return flat


def unflatten_state(flat):
    """`{name: tensor}` -> the nested state `Translator.step` takes."""
    count = sum(name.startswith("cell_state_") for name in flat)
    state = {name: flat[name] for name in STATE_NAMES}
    state["cell_states"] = [flat[f"cell_state_{i}"] for i in range(count)]
    return state


def _state_specs(translator):
    """Batch-1 `TensorSpec`s of the flat state, read off a traced `encode`."""
    example = translator.encode(tf.zeros((1, 1), tf.int32), tf.ones((1, 1), tf.bool))
    specs = {}
    for name, tensor in flatten_state(example).items():
        shape = list(tensor.shape)
        if name in SOURCE_STATE_NAMES:
            shape[1] = None  # the source length
        specs[name] = tf.TensorSpec(shape, tensor.dtype, name=name)
    return specs


def serving_signatures(translator, beam_width=4):
    """`serving_default` (greedy) and `beam_search`: strings in, strings out.

    Both take `text` `tf.string (batch,)` and return `translation`
    `tf.string (batch,)` and `token_ids` int32 `(batch, max_length)`.
    """
    preprocessor = translator.preprocessor
    if preprocessor is None:
        raise ValueError(
            "`serving_signatures` needs a preprocessor; this Translator was built "
            "with preprocessor=None."
        )

    def make(width):
        @tf.function(input_signature=[tf.TensorSpec((None,), tf.string, name="text")])
        def serve(text):
            x = preprocessor.source_preprocessor.call(text)
            ids = translator.generate(x["token_ids"], x["padding_mask"], width)
            return {"translation": preprocessor.detokenize(ids), "token_ids": ids}

        return serve

    return {"serving_default": make(1), "beam_search": make(beam_width)}


def tflite_signatures(translator):
    """`encode(token_ids, padding_mask)` and `step(token_ids, <state>)`, batch 1."""
    specs = _state_specs(translator)
    names = list(specs)
    cell_names = [name for name in names if name.startswith("cell_state_")]

    @tf.function(
        input_signature=[
            tf.TensorSpec((1, None), tf.int32, name="token_ids"),
            tf.TensorSpec((1, None), tf.bool, name="padding_mask"),
        ]
    )
    def encode(token_ids, padding_mask):
        return flatten_state(translator.encode(token_ids, padding_mask))

    @tf.function(
        input_signature=[tf.TensorSpec((1,), tf.int32, name="token_ids")]
        + [specs[name] for name in names]
    )
    def step(token_ids, *values):
        state = unflatten_state(dict(zip(names, values, strict=True)))
        logits, new_state = translator.step_logits(token_ids, state)
        flat = flatten_state(new_state)
        outputs = {name: flat[name] for name in cell_names + ["feed"]}
        return {"logits": logits, **outputs}

    return {"encode": encode, "step": step}
