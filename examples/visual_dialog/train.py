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

Outputs in `--out`: `visual_dialog.keras` (reload with `keras.saving.load_model`
after `import keras_rnn_kit`), `metrics.json` (R@1, R@5, R@10, MRR, mean rank and
NDCG on the held-out scenes, the same with the history blanked, and both again
on the follow-up rounds alone: `score_dialogs`), `dialog.json` (one held-out
dialog: each round's question, history, true answer and the model's top three)
and `dialog_image.png` (its image).
"""

import os

import keras
import numpy as np

from keras_rnn_kit.data import SceneGenerator
from keras_rnn_kit.data import scene_dialog_view
from keras_rnn_kit.data.image_io import encode_png
from keras_rnn_kit.models.visual_dialog import VisualDialogBackbone
from keras_rnn_kit.models.visual_dialog import VisualDialogModel
from keras_rnn_kit.models.visual_dialog import VisualDialogPreprocessor
from keras_rnn_kit.models.visual_dialog.visual_dialog_training import score_dialogs
from keras_rnn_kit.training import train
from keras_rnn_kit.utils.script_io import script_parser
from keras_rnn_kit.utils.script_io import training_options
from keras_rnn_kit.utils.script_io import write_json_files


def parse_args(argv=None):
    parser = script_parser(
        __doc__.split("\n\n")[0], out="visual_dialog_out", epochs=8
    )
    parser.add_argument("--num-scenes", type=int, default=1500,
                        help="training scenes (a quarter as many are held out)")
    parser.add_argument("--image-size", type=int, default=32)
    parser.add_argument("--encoder", default="hre", help="hre or late_fusion")
    parser.add_argument("--cell", default="lstm",
                        help="vanilla, additive, original_lstm or lstm")
    parser.add_argument("--units", type=int, default=64)
    parser.add_argument("--embedding-dim", type=int, default=32)
    parser.add_argument("--batch-size", type=int, default=64)
    args = parser.parse_args(argv)
    if args.tiny:
        args.num_scenes, args.epochs, args.units, args.embedding_dim = 48, 1, 8, 8
    return args


def model_inputs(preprocessor, view):
    """The preprocessed backbone inputs of every round, as numpy arrays."""
    x = preprocessor({
        "images": view.images[view.image_index],
        "questions": view.questions,
        "histories": view.histories,
        "candidates": np.array([view.candidates] * len(view)),
    })
    return {key: np.asarray(value) for key, value in x.items()}


def print_metrics(title, metrics):
    """One line of the scalar metrics, with the blanked-history R@1 and MRR."""
    scalars = {k: v for k, v in metrics.items() if isinstance(v, float)}
    without = metrics["without_history"]
    print(f"{title} " + ", ".join(f"{k}: {v:.3f}" for k, v in scalars.items())
          + f" | history blanked: r@1 {without['r@1']:.3f}, mrr {without['mrr']:.3f}")


def main(argv=None):
    args = parse_args(argv)
    keras.utils.set_random_seed(args.seed)
    os.makedirs(args.out, exist_ok=True)
    generator = SceneGenerator(image_size=args.image_size, seed=args.seed)
    scenes = generator.generate(args.num_scenes + max(1, args.num_scenes // 4))
    train_scenes, test_scenes = scenes[: args.num_scenes], scenes[args.num_scenes :]
    candidates = generator.answer_vocabulary()
    train_view = scene_dialog_view(train_scenes, candidates)
    test_view = scene_dialog_view(test_scenes, candidates)
    preprocessor = VisualDialogPreprocessor.from_dialogs(
        train_view, image_size=args.image_size, lengths_from=[test_view]
    )

    def build_model():
        backbone = VisualDialogBackbone(
            preprocessor.vocabulary_size,
            encoder=args.encoder,
            embedding_dim=args.embedding_dim,
            units=args.units,
            cell=args.cell,
            image_size=args.image_size,
            answer_length=preprocessor.answer_length,
        )
        model = VisualDialogModel(backbone, preprocessor, candidates=candidates)
        model.compile()
        return model

    print(f"{args.encoder} encoder: {len(train_view)} rounds on {len(train_scenes)} "
          f"scenes, {len(test_view)} held-out rounds, {len(candidates)} candidates")
    model, history = train(
        build_model,
        (model_inputs(preprocessor, train_view), train_view.answer_ids),
        **training_options(args),
    )

    metrics = score_dialogs(model, test_view)
    metrics["loss"] = float(history.history["loss"][-1])
    print_metrics("held-out", metrics)
    if "history_dependent" in metrics:
        print_metrics("follow-ups", metrics["history_dependent"])
    first = np.flatnonzero(test_view.image_index == 0)
    questions = [test_view.questions[i] for i in first]
    histories = test_view.histories[first]
    ranked, scores = model.rank_answers(
        test_view.images[test_view.image_index[first]], questions, histories
    )
    dialog = {
        "caption": test_scenes[0].caption,
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
        f.write(encode_png(test_scenes[0].image))
    print(f"  caption: {dialog['caption']}")
    for turn in dialog["rounds"]:
        print(f"  Q: {turn['question']:<45} A: {turn['top_3'][0]:<8} "
              f"(true: {turn['answer']})")

    model_path = os.path.join(args.out, "visual_dialog.keras")
    model.save(model_path)
    write_json_files(args.out, {"metrics.json": metrics, "dialog.json": dialog})
    print(f"wrote {model_path}, metrics.json, dialog.json and dialog_image.png "
          f"to {args.out}")


if __name__ == "__main__":
    main()
