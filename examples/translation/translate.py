"""Translates sentences with a translator saved by train.py.

Usage:

    python examples/translation/translate.py \
        --model /tmp/translation/translation.keras 三百二十一 四千零五 --beam-width 4
"""

import argparse

# isort: off
import keras_rnn_kit  # noqa: F401  (first: hides TF's native logs; registers kit classes)
# isort: on
import keras

from keras_rnn_kit.utils.script_io import add_debug_flag


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", required=True, help="translation.keras file")
    parser.add_argument("--beam-width", type=int, default=4,
                        help="1 decodes greedily")
    parser.add_argument("sentences", nargs="+", help="source sentences")
    add_debug_flag(parser)
    args = parser.parse_args(argv)
    translator = keras.saving.load_model(args.model)
    for source, target in zip(
        args.sentences,
        translator.translate(args.sentences, beam_width=args.beam_width),
        strict=True,
    ):
        print(f"{source}\t{target}")


if __name__ == "__main__":
    main()
