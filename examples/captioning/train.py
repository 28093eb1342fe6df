"""Trains an image captioner (show and tell, or show, attend and tell) on generated
shape scenes and captions held-out scenes with beam search.

The scenes come from the kit's scene generator (offline): white images with one
or two coloured shapes and a caption such as "a red circle to the left of a blue
square". Scenes `0..--num-scenes-1` train the model; the next quarter as many are
held out and scored with BLEU-1..4 and CIDEr-D.

Usage:

    python examples/captioning/train.py --out /tmp/captioning
    python examples/captioning/train.py --tiny --out /tmp/captioning_tiny
    python examples/captioning/train.py --attention none --out /tmp/show_and_tell

Outputs in `--out`: `captioner.keras` (reload with `keras.saving.load_model` after
`import keras_rnn_kit`), `metrics.json`, `samples.json` (held-out captions with
their references) and, with attention, `attention.png` (where each generated word
looked).
"""

import argparse
import json
import os

import keras
import numpy as np

from keras_rnn_kit.data import SceneGenerator
from keras_rnn_kit.metrics import caption_bleu
from keras_rnn_kit.metrics import cider_d
from keras_rnn_kit.models.captioning import CaptioningBackbone
from keras_rnn_kit.models.captioning import CaptioningPreprocessor
from keras_rnn_kit.models.captioning import ImageCaptioner
from keras_rnn_kit.models.captioning.captioning_training import save_attention_maps
from keras_rnn_kit.training import train


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default="captioning_out", help="output folder")
    parser.add_argument("--tiny", action="store_true",
                        help="seconds-long smoke run: tiny data and model, 1 epoch")
    parser.add_argument("--num-scenes", type=int, default=3000)
    parser.add_argument("--image-size", type=int, default=32)
    parser.add_argument("--attention", default="bahdanau",
                        help="none (show and tell), bahdanau or luong_general")
    parser.add_argument("--cell", default="lstm",
                        help="decoder cell: vanilla, additive, original_lstm or lstm")
    parser.add_argument("--units", type=int, default=64)
    parser.add_argument("--embedding-dim", type=int, default=32)
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--beam-width", type=int, default=3)
    parser.add_argument("--strategy", default="auto",
                        help="auto, one_device, mirrored, multi_worker or tpu")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.tiny:
        args.num_scenes, args.epochs, args.beam_width = 64, 1, 2
        args.units, args.embedding_dim = 8, 8
    args.attention = None if args.attention == "none" else args.attention
    return args


def main(argv=None):
    args = parse_args(argv)
    keras.utils.set_random_seed(args.seed)
    os.makedirs(args.out, exist_ok=True)
    generator = SceneGenerator(image_size=args.image_size, max_objects=2,
                               seed=args.seed)
    scenes = generator.generate(args.num_scenes + max(1, args.num_scenes // 4))
    train_scenes, test_scenes = scenes[: args.num_scenes], scenes[args.num_scenes :]
    captions = [s.caption for s in train_scenes]
    preprocessor = CaptioningPreprocessor.from_captions(
        captions, image_size=args.image_size, overflow="truncate"
    )
    # Teacher forcing: (x, y, sample_weight) arrays, the padding weighted 0.
    x, y, weights = preprocessor(
        {"images": np.stack([s.image for s in train_scenes]), "captions": captions}
    )
    train_data = ({k: np.asarray(v) for k, v in x.items()}, np.asarray(y),
                  np.asarray(weights))

    def build_captioner():
        backbone = CaptioningBackbone(
            len(preprocessor.vocabulary),
            embedding_dim=args.embedding_dim,
            units=args.units,
            cell=args.cell,
            attention=args.attention,
            image_size=args.image_size,
        )
        captioner = ImageCaptioner(backbone, preprocessor)
        captioner.compile()
        return captioner

    print(f"training on {len(train_scenes)} scenes "
          f"({args.attention or 'no'} attention), holding out {len(test_scenes)}")
    captioner, history = train(
        build_captioner,
        train_data,
        strategy=args.strategy,
        epochs=args.epochs,
        global_batch_size=args.batch_size,
        checkpoint_dir=os.path.join(args.out, "checkpoints"),
        shuffle_seed=args.seed,
        verbose=2,
    )

    test_images = np.stack([s.image for s in test_scenes])
    hypotheses = captioner.caption(test_images, beam_width=args.beam_width)
    references = [[s.caption] for s in test_scenes]
    metrics = caption_bleu(hypotheses, references)
    metrics["cider_d"] = cider_d(hypotheses, references)[0]
    metrics["loss"] = float(history.history["loss"][-1])
    print("held-out " + ", ".join(f"{k}: {v:.3f}" for k, v in metrics.items()))
    samples = [{"caption": h, "reference": r[0]}
               for h, r in zip(hypotheses, references, strict=True)][:5]
    for sample in samples:
        print(f"  {sample['caption']!r} (reference {sample['reference']!r})")

    outputs = ["metrics.json", "samples.json"]
    if args.attention is not None:
        save_attention_maps(captioner, test_images[0],
                            os.path.join(args.out, "attention.png"))
        outputs.append("attention.png")
    model_path = os.path.join(args.out, "captioner.keras")
    captioner.save(model_path)
    for name, content in (("metrics.json", metrics), ("samples.json", samples)):
        with open(os.path.join(args.out, name), "w", encoding="utf-8") as f:
            json.dump(content, f, indent=2)
    print(f"wrote {model_path}, {', '.join(outputs)} to {args.out}")


if __name__ == "__main__":
    main()
