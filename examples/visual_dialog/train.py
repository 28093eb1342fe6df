"""Trains a Visual Dialog model (Das et al. 2017) that ranks candidate answers to
each question about an image, given the caption and the dialog so far.

The dialogs are generated offline by the kit's scene generator: each image (one
to three coloured shapes) has a caption ("a red circle to the left of a blue
square") and up to seven question-answer rounds about colour, shape, count,
position and presence, among them a follow-up ("what about the square?") that
only the history can answer. Round r sees the image, its question and the
history (the caption, then rounds 1..r-1 as "question answer"); the candidates
are every answer the generator can give. The encoder is hierarchical
(`--encoder hre`: one RNN per history round, one over the rounds) or late fusion
(`late_fusion`).

Usage:

    python examples/visual_dialog/train.py --out /tmp/visual_dialog
    python examples/visual_dialog/train.py --tiny --out /tmp/visual_dialog_tiny
    python examples/visual_dialog/train.py --encoder late_fusion --out /tmp/lf

It runs what `rnnkit train visual-dialog --data scenes` runs
(`keras_rnn_kit.applications.train_application` with `VisualDialogRecipe`: data,
model, epochs), with the flags below as a variant of the recipe, then scores the
held-out rounds with the history ablation and shows one dialog.

Outputs in `--out`: `visual-dialog.keras` (reload with `keras.saving.load_model`
after `import keras_rnn_kit`; it keeps its candidates), `metrics.json` (R@1,
R@5, R@10, MRR, mean rank and NDCG on the held-out scenes, the same with the
history blanked, and both again on the follow-up rounds alone:
`score_dialogs`), `dialog.json` (one held-out dialog: each round's question,
history, true answer and the model's top three) and `dialog_image.png` (its
image).
"""

import dataclasses
import os

import numpy as np

from keras_rnn_kit.applications import get_application
from keras_rnn_kit.applications import train_application
from keras_rnn_kit.data.image_io import encode_png
from keras_rnn_kit.models.visual_dialog.visual_dialog_training import score_dialogs
from keras_rnn_kit.utils.script_io import script_parser
from keras_rnn_kit.utils.script_io import write_json_files


def parse_args(argv=None):
    recipe = get_application("visual-dialog")
    parser = script_parser(__doc__.split("\n\n")[0], out="visual_dialog_out")
    parser.add_argument("--num-scenes", type=int, default=recipe.num_scenes,
                        help="training scenes (a quarter as many are held out)")
    parser.add_argument("--image-size", type=int, default=recipe.scene_image_size)
    parser.add_argument("--encoder", default=recipe.encoder,
                        help="hre or late_fusion")
    parser.add_argument("--cell", default=recipe.cell,
                        help="vanilla, additive, original_lstm or lstm")
    parser.add_argument("--units", type=int, default=recipe.units)
    parser.add_argument("--batch-size", type=int, default=recipe.batch_size)
    return parser.parse_args(argv)


def print_metrics(title, metrics):
    """One line of the scalar metrics, with the blanked-history R@1 and MRR."""
    scalars = {k: v for k, v in metrics.items() if isinstance(v, float)}
    without = metrics["without_history"]
    print(f"{title} " + ", ".join(f"{k}: {v:.3f}" for k, v in scalars.items())
          + f" | history blanked: r@1 {without['r@1']:.3f}, mrr {without['mrr']:.3f}")


def main(argv=None):
    args = parse_args(argv)
    recipe = dataclasses.replace(
        get_application("visual-dialog"), encoder=args.encoder, cell=args.cell,
        units=args.units, num_scenes=args.num_scenes,
        scene_image_size=args.image_size,
    )
    result = train_application(
        recipe, "scenes", out=args.out, strategy=args.strategy, epochs=args.epochs,
        batch_size=args.batch_size, tiny=args.tiny, seed=args.seed, verbose=2,
    )
    model, test_view = result["model"], result["prepared"].test
    metrics = {**result["metrics"], **score_dialogs(model, test_view)}
    print_metrics("held-out", metrics)
    if "history_dependent" in metrics:
        print_metrics("follow-ups", metrics["history_dependent"])
    # One held-out dialog: the first test scene's rounds, ranked over the
    # candidates the model keeps.
    first = np.flatnonzero(test_view.image_index == 0)
    questions = [test_view.questions[i] for i in first]
    histories = test_view.histories[first]
    ranked, scores = model.rank_answers(
        test_view.images[test_view.image_index[first]], questions, histories
    )
    candidates = model.candidates
    dialog = {
        "caption": str(histories[0][0]),
        "image": "dialog_image.png",
        "candidates": candidates,
        "rounds": [
            {"question": question, "history": history.tolist(),
             "answer": candidates[test_view.answer_ids[i]], "top_3": top[:3],
             "top_3_scores": sorted(row.tolist(), reverse=True)[:3]}
            for i, question, history, top, row in zip(
                first, questions, histories, ranked, scores, strict=True)
        ],
    }
    with open(os.path.join(args.out, "dialog_image.png"), "wb") as f:
        f.write(encode_png(test_view.images[0]))
    print(f"  caption: {dialog['caption']}")
    for turn in dialog["rounds"]:
        print(f"  Q: {turn['question']:<45} A: {turn['top_3'][0]:<8} "
              f"(true: {turn['answer']})")
    write_json_files(args.out, {"metrics.json": metrics, "dialog.json": dialog})
    print(f"wrote {result['model_path']}, metrics.json, dialog.json and "
          f"dialog_image.png to {args.out}")


if __name__ == "__main__":
    main()
