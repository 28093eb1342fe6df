"""Classifies texts with a classifier saved by train.py.

Usage:

    python examples/sentiment/predict.py --model /tmp/sentiment/sentiment.keras \
        "The pasta was superb." "The staff was not friendly."
"""

import argparse

# isort: off
import keras_rnn_kit  # noqa: F401  (first: hides TF's native logs; registers kit classes)
# isort: on
import keras

from keras_rnn_kit.utils.script_io import add_debug_flag


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", required=True, help="sentiment.keras file")
    parser.add_argument("texts", nargs="+", help="texts to classify")
    add_debug_flag(parser)
    args = parser.parse_args(argv)
    model = keras.saving.load_model(args.model)
    prediction = model.predict_text(args.texts)
    for text, label, probabilities in zip(
        args.texts, prediction.labels, prediction.probabilities, strict=True
    ):
        print(f"{label}\t{probabilities.max():.3f}\t{text}")


if __name__ == "__main__":
    main()
