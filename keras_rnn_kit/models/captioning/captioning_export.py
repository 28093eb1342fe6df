"""The ImageCaptioner's export signatures (the `keras_rnn_kit.export` protocol).

`serving_signatures` serve encoded image bytes with core TF ops only (stock TF
Serving): `decode_image_bytes` decodes and resizes, the kit samplers decode
greedily (`serving_default`) or with beam search (`beam_search`) inside the
graph, and the preprocessor's lookup table turns ids into words.
`tflite_signatures` expose the `encode` / `step` pair (any batch) that
`keras_rnn_kit.export.TFLiteRunner` decodes. The step's state travels as flat
named tensors: `cell_state_<i>` and, with attention, `feed`, `memory`, `keys`
and `memory_mask` (the step returns only the tensors it changes: the cell
states and `feed`).
"""

import tensorflow as tf

from keras_rnn_kit.data.image_io import decode_image_bytes
from keras_rnn_kit.models.vqa.vqa_export import text_preprocessor_assets

ATTENTION_STATE = ("feed", "memory", "keys", "memory_mask")
TEXT_ASSETS_FORMAT = "keras_rnn_kit.captioning_text_assets/1"


def flatten_state(state):
    """`CaptioningBackbone.encode`'s nested state -> `{name: tensor}`."""
    flat = {f"cell_state_{i}": s for i, s in enumerate(state["cell_states"])}
    flat.update({name: state[name] for name in ATTENTION_STATE if name in state})
    return flat


def unflatten_state(flat):
    """`{name: tensor}` -> the nested state `ImageCaptioner.step` takes."""
    count = sum(name.startswith("cell_state_") for name in flat)
    state = {name: flat[name] for name in ATTENTION_STATE if name in flat}
    state["cell_states"] = [flat[f"cell_state_{i}"] for i in range(count)]
    return state


def serving_signatures(captioner, beam_width=3):
    """`serving_default` (greedy) and `beam_search` (`beam_width`).

    Both take `image_bytes` `tf.string (batch,)` and return `caption`
    `tf.string (batch,)` and `token_ids` int32 `(batch, max_length)`, as
    `ImageCaptioner.caption(images, beam_width)` does on the decoded images.
    """
    preprocessor = captioner.preprocessor
    if preprocessor is None:
        raise ValueError(
            "`serving_signatures` needs a preprocessor; this ImageCaptioner was "
            "built with preprocessor=None."
        )

    def make(width):
        @tf.function(
            input_signature=[tf.TensorSpec((None,), tf.string, name="image_bytes")]
        )
        def serve(image_bytes):
            # 1. Bytes -> (batch, image_size, image_size, 3) in [0, 1].
            images = decode_image_bytes(image_bytes, preprocessor.image_size)
            # 2. Search: (batch, max_length) ids, <eos> then <pad>.
            ids = captioner.generate(images, beam_width=width)
            # 3. Ids -> words: (batch,).
            return {"caption": preprocessor.detokenize(ids), "token_ids": ids}

        return serve

    return {"serving_default": make(1), "beam_search": make(beam_width)}


def tflite_signatures(captioner):
    """`encode(images)` and `step(token_ids, <state>)`, any batch size.

    `encode` takes `images` float32 `(batch, image_size, image_size, 3)` in
    `[0, 1]`; `step` takes `token_ids` `(batch,)` and returns `logits`
    (log-probabilities) `(batch, vocabulary)`. Neither holds a loop over time
    (the image encoder is convolutional and `step` runs one decoder step), so
    the batch stays unknown in the `.tflite` (a recurrent `WHILE` loop would
    need it static): several images, or several beam hypotheses, go through
    one call.
    """
    backbone = captioner.backbone
    size = backbone.image_size
    example = flatten_state(backbone.encode(tf.zeros((1, size, size, 3))))
    names = list(example)
    specs = [
        tf.TensorSpec((None, *example[name].shape[1:]), example[name].dtype, name=name)
        for name in names
    ]
    updated = [name for name in names if name.startswith("cell_state_")]
    if backbone.attention is not None:
        updated.append("feed")

    @tf.function(
        input_signature=[
            tf.TensorSpec((None, size, size, 3), tf.float32, name="images")
        ]
    )
    def encode(images):
        return flatten_state(backbone.encode(images))

    @tf.function(
        input_signature=[tf.TensorSpec((None,), tf.int32, name="token_ids")] + specs
    )
    def step(token_ids, *values):
        state = unflatten_state(dict(zip(names, values, strict=True)))
        log_probs, new_state = captioner.step(token_ids, state)
        flat = flatten_state(new_state)
        return {"logits": log_probs, **{name: flat[name] for name in updated}}

    return {"encode": encode, "step": step}


def text_assets(captioner):
    """What a device needs next to the `.tflite`: `format`, the caption
    settings of `text_preprocessor_assets` (`go_id` starts decoding, `eos_id`
    ends it, `sequence_length - 1` is the most decoding steps) and
    `image_size`."""
    if captioner.preprocessor is None:
        raise ValueError(
            "`export_text_assets` needs a preprocessor; this ImageCaptioner was "
            "built with preprocessor=None."
        )
    return {
        "format": TEXT_ASSETS_FORMAT,
        **text_preprocessor_assets(captioner.preprocessor.text_preprocessor),
        "image_size": captioner.preprocessor.image_size,
    }
