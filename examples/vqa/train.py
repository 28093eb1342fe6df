"""Trains the VQA baseline (LSTM question encoder + CNN image encoder, fused, answer
classifier; Antol et al. 2015) and answers questions about test images.

Data, all offline: `--data easy_vqa` (default; the easy-VQA set shipped inside the
`easy-vqa` package: one coloured shape per 64x64 image, 13 answers) or
`--data scenes` (the kit's scene generator: up to three shapes per image and
questions about colour, shape, count, position and presence).

Usage:

    python examples/vqa/train.py --out /tmp/vqa
    python examples/vqa/train.py --tiny --out /tmp/vqa_tiny
    python examples/vqa/train.py --data scenes --epochs 10 --out /tmp/vqa_scenes

Outputs in `--out`: `vqa.keras` (reload with `keras.saving.load_model` after
`import keras_rnn_kit`), `metrics.json` (test accuracy, majority baseline) and
`samples.json` (test questions with the true and predicted answers).
"""

import argparse
import json
import os

import keras
import numpy as np
import tensorflow as tf

from keras_rnn_kit.data import SceneGenerator
from keras_rnn_kit.data import load_easy_vqa
from keras_rnn_kit.data import scenes_to_vqa_split
from keras_rnn_kit.models.vqa import VQABackbone
from keras_rnn_kit.models.vqa import VQAModel
from keras_rnn_kit.models.vqa import VQAPreprocessor
from keras_rnn_kit.training import train


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default="easy_vqa", choices=("easy_vqa", "scenes"))
    parser.add_argument("--out", default="vqa_out", help="output folder")
    parser.add_argument("--tiny", action="store_true",
                        help="seconds-long smoke run: tiny data and model, 1 epoch")
    parser.add_argument("--max-images", type=int, default=None,
                        help="training images (test: a quarter); default all "
                        "easy-VQA images, 2000 scenes")
    parser.add_argument("--image-size", type=int, default=64,
                        help="side the images are resized to")
    parser.add_argument("--cell", default="lstm",
                        help="question encoder cell: vanilla, additive, "
                        "original_lstm or lstm")
    parser.add_argument("--embedding-dim", type=int, default=32)
    parser.add_argument("--hidden-dim", type=int, default=64)
    parser.add_argument("--fusion-dim", type=int, default=64)
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--strategy", default="auto",
                        help="auto, one_device, mirrored, multi_worker or tpu")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.tiny:
        args.max_images, args.epochs, args.image_size = 32, 1, 32
        args.embedding_dim = args.hidden_dim = args.fusion_dim = 8
    return args


def load_splits(args):
    """Returns the train and test `VQASplit`s."""
    if args.data == "easy_vqa":
        test_images = args.max_images and max(1, args.max_images // 4)
        return (load_easy_vqa("train", args.max_images),
                load_easy_vqa("test", test_images))
    count = args.max_images or 2000
    generator = SceneGenerator(image_size=64, seed=args.seed)
    scenes = generator.generate(count + max(1, count // 4))
    vocabulary = generator.answer_vocabulary()
    return (scenes_to_vqa_split(scenes[:count], vocabulary),
            scenes_to_vqa_split(scenes[count:], vocabulary))


def examples(split, preprocessor):
    """Single `(inputs, answer_id)` examples; each image is stored once."""
    text = preprocessor.text_preprocessor(split.questions)
    images = tf.constant(split.images)

    def to_inputs(token_ids, padding_mask, image_index, answer_id):
        image = preprocessor.preprocess_images(images[image_index][None])[0]
        inputs = {"images": image, "token_ids": token_ids,
                  "padding_mask": padding_mask}
        return inputs, answer_id

    dataset = tf.data.Dataset.from_tensor_slices(
        (text["token_ids"], text["padding_mask"], split.image_index,
         split.answer_ids)
    )
    return dataset.map(to_inputs)


def main(argv=None):
    args = parse_args(argv)
    keras.utils.set_random_seed(args.seed)
    os.makedirs(args.out, exist_ok=True)
    train_split, test_split = load_splits(args)
    preprocessor = VQAPreprocessor.from_questions(
        train_split.questions, args.image_size
    )

    def build_model():
        backbone = VQABackbone(
            preprocessor.vocabulary_size,
            embedding_dim=args.embedding_dim,
            hidden_dim=args.hidden_dim,
            fusion_dim=args.fusion_dim,
            cell=args.cell,
            image_size=args.image_size,
            pooling="max",
        )
        model = VQAModel(
            backbone, train_split.answer_vocabulary, preprocessor=preprocessor,
            hidden_dim=args.fusion_dim, dropout=0.2,
        )
        model.compile()
        return model

    print(f"{args.data}: {len(train_split)} training questions on "
          f"{len(train_split.images)} images, {len(test_split)} test questions")
    train_data = examples(train_split, preprocessor).shuffle(
        len(train_split), seed=args.seed
    )
    model, history = train(
        build_model,
        train_data,
        examples(test_split, preprocessor),
        strategy=args.strategy,
        epochs=args.epochs,
        global_batch_size=args.batch_size,
        checkpoint_dir=os.path.join(args.out, "checkpoints"),
        verbose=2,
    )

    predicted, scores = model.answer(
        test_split.question_images(), test_split.questions
    )
    accuracy = float(np.mean([p == a for p, a in zip(
        predicted, test_split.answers, strict=True)]))
    majority = float(np.max(np.bincount(test_split.answer_ids)) / len(test_split))
    metrics = {
        "test_accuracy": accuracy,
        "majority_baseline": majority,
        "loss": float(history.history["loss"][-1]),
    }
    print(f"test accuracy: {accuracy:.4f} (always the most common answer: "
          f"{majority:.4f})")
    samples = [
        {"question": q, "answer": a, "predicted": p, "probability": float(s)}
        for q, a, p, s in zip(test_split.questions, test_split.answers, predicted,
                              scores, strict=True)
    ][:8]
    for sample in samples:
        print(f"  {sample['question']:<40} {sample['predicted']:>9} "
              f"(true: {sample['answer']})")

    model_path = os.path.join(args.out, "vqa.keras")
    model.save(model_path)
    for name, content in (("metrics.json", metrics), ("samples.json", samples)):
        with open(os.path.join(args.out, name), "w", encoding="utf-8") as f:
            json.dump(content, f, indent=2)
    print(f"wrote {model_path}, metrics.json and samples.json to {args.out}")


if __name__ == "__main__":
    main()
