"""Trains the VQA baseline (LSTM question encoder + CNN image encoder, fused, answer
classifier; Antol et al. 2015) and answers questions about test images.

The training is the kit's registered recipe, the very one `rnnkit train vqa` and
`rnnkit demo` run (`keras_rnn_kit.applications.train_application`): data, model
sizes, epochs, learning-rate schedule and image size all come from it
(`keras_rnn_kit.models.vqa.vqa_training`). Fork this script to change them.

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

import numpy as np

from keras_rnn_kit.applications import train_application
from keras_rnn_kit.utils.script_io import script_parser
from keras_rnn_kit.utils.script_io import write_json_files


def parse_args(argv=None):
    parser = script_parser(__doc__.split("\n\n")[0], out="vqa_out")
    parser.add_argument("--data", default="easy_vqa", choices=("easy_vqa", "scenes"))
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    result = train_application(
        "vqa", args.data, out=args.out, strategy=args.strategy, epochs=args.epochs,
        tiny=args.tiny, seed=args.seed, verbose=2,
    )
    model, test = result["model"], result["prepared"].test
    predicted, scores = model.answer(test.question_images(), test.questions)
    accuracy = result["metrics"]["accuracy"]
    majority = float(np.max(np.bincount(test.answer_ids)) / len(test))
    print(f"test accuracy: {accuracy:.4f} (always the most common answer: "
          f"{majority:.4f})")
    samples = [
        {"question": q, "answer": a, "predicted": p, "probability": float(s)}
        for q, a, p, s in zip(test.questions, test.answers, predicted, scores,
                              strict=True)
    ][:8]
    for sample in samples:
        print(f"  {sample['question']:<40} {sample['predicted']:>9} "
              f"(true: {sample['answer']})")
    # `rnnkit train`'s metrics, with the example's names and the baseline added.
    metrics = {**result["metrics"], "test_accuracy": accuracy,
               "majority_baseline": majority}
    write_json_files(args.out, {"metrics.json": metrics, "samples.json": samples})
    print(f"wrote {result['model_path']}, metrics.json and samples.json to "
          f"{args.out}")


if __name__ == "__main__":
    main()
