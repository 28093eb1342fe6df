"""What a device needs next to the Translator's `.tflite`: both text settings.

The `.tflite` (see `translator_signatures.tflite_signatures`) takes source token
ids and produces target token ids one `step` at a time; `text_assets` carries the
source tokenizer and vocabulary that make the ids and the target vocabulary that
turns the produced ids back into text, as JSON-ready settings of
`keras_rnn_kit.data.text_rules.TextEncoder`.
"""

from keras_rnn_kit.models.vqa.vqa_export import text_preprocessor_assets

TEXT_ASSETS_FORMAT = "keras_rnn_kit.translation_text_assets/1"


def text_assets(translator):
    """Returns `format`, `source` and `target` (the settings of
    `vqa_export.text_preprocessor_assets`; decoding starts from the target's
    `go_id` and stops at its `eos_id`) and `max_length` (the most target tokens,
    `<eos>` included, as `Translator.generate` decodes by default)."""
    preprocessor = translator.preprocessor
    if preprocessor is None:
        raise ValueError(
            "`text_assets` needs a preprocessor; this Translator was built with "
            "preprocessor=None."
        )
    return {
        "format": TEXT_ASSETS_FORMAT,
        "source": text_preprocessor_assets(preprocessor.source_preprocessor),
        "target": text_preprocessor_assets(preprocessor.target_preprocessor),
        "max_length": preprocessor.target_sequence_length,
    }
