"""Trains a sentiment classifier (positive / negative) on reviews.

Without `--data` it trains on a small generated review set (no download); with
`--data path/to/aclImdb` it reads the IMDB reviews from their `train/{neg,pos}` and
`test/{neg,pos}` folders (https://ai.stanford.edu/~amaas/data/sentiment/).

Usage:

    python examples/sentiment/train.py --out /tmp/sentiment
    python examples/sentiment/train.py --tiny --out /tmp/sentiment_tiny
    python examples/sentiment/train.py --data ~/aclImdb --cell original_lstm \
        --structure stacked --num-layers 2 --sequence-length 200 --epochs 3 \
        --out /tmp/imdb

Outputs in `--out`: `sentiment.keras` (the trained classifier, preprocessor
included; reload it with `keras.saving.load_model` after `import keras_rnn_kit`),
`metrics.json` (the last epoch's logs) and `predictions.json` (the probe
sentences below with their labels and probabilities).
"""

import argparse
import json
import os

import keras
import numpy as np

from keras_rnn_kit.data import dataset_texts
from keras_rnn_kit.data import generate_reviews
from keras_rnn_kit.data import load_review_folders
from keras_rnn_kit.models import SentimentClassifier
from keras_rnn_kit.models.sentiment import SentimentBackbone
from keras_rnn_kit.models.sentiment import SentimentPreprocessor
from keras_rnn_kit.training import train

CLASS_NAMES = ["negative", "positive"]
PROBES = [
    "The food was really good.",
    "The chicken crossed the road because it was uncooked.",
    "The service was not bad at all.",
    "The plot was boring.",
]


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", help="aclImdb folder; default: generated reviews")
    parser.add_argument("--out", default="sentiment_out", help="output folder")
    parser.add_argument("--tiny", action="store_true",
                        help="seconds-long smoke run: tiny data and model, 1 epoch")
    parser.add_argument("--num-reviews", type=int, default=4000,
                        help="generated reviews (train + validation); --tiny "
                        "sets 256, also the most read per split with --data")
    parser.add_argument("--cell", default="lstm",
                        help="vanilla, additive, original_lstm or lstm")
    parser.add_argument("--structure", default="bidirectional",
                        help="single, stacked, bidirectional or hierarchical")
    parser.add_argument("--num-layers", type=int, default=1)
    parser.add_argument("--pooling", default="last", help="last, mean or attention")
    parser.add_argument("--units", type=int, default=32)
    parser.add_argument("--embedding-dim", type=int, default=32)
    parser.add_argument("--sequence-length", type=int, default=40,
                        help="tokens kept per review (200 suits IMDB)")
    parser.add_argument("--max-sentences", type=int, default=4,
                        help="sentences per review for --structure hierarchical")
    parser.add_argument("--vocabulary-size", type=int, default=20000)
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--strategy", default="auto",
                        help="auto, one_device, mirrored, multi_worker or tpu")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.tiny:
        args.num_reviews, args.epochs = 256, 1
        args.units, args.embedding_dim, args.sequence_length = 8, 8, 16
    return args


def load_data(args):
    """Returns `(train, validation)`: pairs of (texts, labels) or tf.data sets."""
    if args.data:
        train_ds, val_ds = (
            load_review_folders(args.data, split, args.batch_size, seed=args.seed)
            for split in ("train", "test")
        )
        # `train` batches by itself: hand it single examples.
        train_ds, val_ds = train_ds.unbatch(), val_ds.unbatch()
        if args.tiny:
            train_ds, val_ds = (ds.take(args.num_reviews) for ds in (train_ds, val_ds))
        return train_ds, val_ds
    texts, labels = generate_reviews(args.num_reviews, seed=args.seed)
    cut = int(0.8 * len(texts))
    train_pair = (np.array(texts[:cut]), labels[:cut])
    return train_pair, (np.array(texts[cut:]), labels[cut:])


def training_texts(train_data):
    if isinstance(train_data, tuple):
        return list(train_data[0])
    return dataset_texts(train_data.batch(1024))


def main(argv=None):
    args = parse_args(argv)
    keras.utils.set_random_seed(args.seed)
    os.makedirs(args.out, exist_ok=True)
    train_data, val_data = load_data(args)
    hierarchical = args.structure == "hierarchical"

    def build_classifier():
        preprocessor = SentimentPreprocessor.from_texts(
            training_texts(train_data),
            sequence_length=args.sequence_length,
            vocabulary_size=args.vocabulary_size,
            max_sentences=args.max_sentences if hierarchical else None,
        )
        backbone = SentimentBackbone(
            len(preprocessor.vocabulary),
            args.embedding_dim,
            cell=args.cell,
            units=args.units,
            structure=args.structure,
            num_layers=args.num_layers,
            pooling=args.pooling,
        )
        model = SentimentClassifier(
            backbone, preprocessor=preprocessor, class_names=CLASS_NAMES
        )
        model.compile()
        return model

    print(f"training a {args.structure} {args.cell} classifier "
          f"({'aclImdb at ' + args.data if args.data else 'generated reviews'})")
    model, history = train(
        build_classifier,
        train_data,
        val_data,
        strategy=args.strategy,
        epochs=args.epochs,
        global_batch_size=args.batch_size,
        checkpoint_dir=os.path.join(args.out, "checkpoints"),
        shuffle_seed=None if args.data else args.seed,
        verbose=2,
    )
    metrics = {key: float(values[-1]) for key, values in history.history.items()}
    print(f"validation accuracy: {metrics['val_accuracy']:.4f}")

    prediction = model.predict_text(PROBES)
    predictions = []
    for text, label, probabilities in zip(
        PROBES, prediction.labels, prediction.probabilities, strict=True
    ):
        print(f"  {label:>8}  p(positive)={probabilities[1]:.3f}  {text}")
        predictions.append(
            {"text": text, "label": label, "probabilities": probabilities.tolist()}
        )

    model_path = os.path.join(args.out, "sentiment.keras")
    model.save(model_path)
    for name, content in (("metrics.json", metrics), ("predictions.json", predictions)):
        with open(os.path.join(args.out, name), "w", encoding="utf-8") as f:
            json.dump(content, f, indent=2)
    print(f"wrote {model_path}, metrics.json and predictions.json to {args.out}")


if __name__ == "__main__":
    main()
