"""Trains a sentiment classifier (positive / negative) on reviews.

The training is the kit's registered recipe, the very one `rnnkit train
sentiment` runs (`keras_rnn_kit.applications.train_application`,
`keras_rnn_kit.models.sentiment.sentiment_recipe`): the split, the sequence
length chosen from the training texts, the bidirectional LSTM and its sizes, the
epochs. Fork this script, or `dataclasses.replace` the recipe, to change them.

Data: without `--data`, a small generated review set (no download); with
`--data`, a CSV/TSV/JSONL file with `text` and `label` columns (split seeded,
shuffled and stratified, or tested on `--test-data`), an aclImdb folder
(`train/{neg,pos}`, `test/{neg,pos}`) or a tensorflow-datasets name.

Usage:

    python examples/sentiment/train.py --out /tmp/sentiment
    python examples/sentiment/train.py --tiny --out /tmp/sentiment_tiny
    python examples/sentiment/train.py --data reviews.csv --out /tmp/reviews
    python examples/sentiment/train.py --data ~/aclImdb --out /tmp/imdb

Outputs in `--out`: `sentiment.keras` (the trained classifier, preprocessor
included; reload it with `keras.saving.load_model` after `import keras_rnn_kit`),
`metrics.json` (test accuracy) and `predictions.json` (the probe sentences
below with their labels and probabilities).
"""


from keras_rnn_kit.applications import train_application
from keras_rnn_kit.utils.script_io import script_parser
from keras_rnn_kit.utils.script_io import write_json_files

PROBES = [
    "The food was really good.",
    "The chicken crossed the road because it was uncooked.",
    "The service was not bad at all.",
    "The plot was boring.",
]


def parse_args(argv=None):
    parser = script_parser(__doc__.split("\n\n")[0], out="sentiment_out")
    parser.add_argument("--data", help="a labelled file, an aclImdb folder or a "
                        "tfds name; default: generated reviews")
    parser.add_argument("--test-data", help="a labelled file to test on")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    result = train_application(
        "sentiment", args.data, out=args.out, strategy=args.strategy,
        epochs=args.epochs, tiny=args.tiny, seed=args.seed,
        test_data=args.test_data, verbose=2,
    )
    print(f"test accuracy: {result['metrics']['accuracy']:.4f}")
    model = result["model"]
    prediction = model.predict_text(PROBES)
    predictions = []
    for text, label, probabilities in zip(
        PROBES, prediction.labels, prediction.probabilities, strict=True
    ):
        print(f"  {label:>8}  p(positive)={probabilities[1]:.3f}  {text}")
        predictions.append(
            {"text": text, "label": label, "probabilities": probabilities.tolist()}
        )
    write_json_files(args.out, {"predictions.json": predictions})
    print(f"wrote {result['model_path']}, metrics.json and predictions.json to "
          f"{args.out}")


if __name__ == "__main__":
    main()
