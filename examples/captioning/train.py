"""Trains an image captioner (show, attend and tell) on generated shape scenes and
captions held-out scenes with beam search.

The training is the kit's registered recipe, the very one `rnnkit train
captioning` runs (`keras_rnn_kit.applications.train_application`,
`keras_rnn_kit.models.captioning.captioning_recipe`): scenes, model sizes,
attention, epochs and batch size all come from it. Fork this script, or
`dataclasses.replace` the recipe, to change them.

The scenes come from the kit's scene generator (offline): white images with one
or two coloured shapes and a caption such as "a red circle to the left of a blue
square". The held-out scenes (other indices) are scored with BLEU-1..4 of the
greedy captions (what `rnnkit train` reports) and BLEU and CIDEr-D of the beam
captions.

Usage:

    python examples/captioning/train.py --out /tmp/captioning
    python examples/captioning/train.py --tiny --out /tmp/captioning_tiny

Outputs in `--out`: `captioning.keras` (reload with `keras.saving.load_model`
after `import keras_rnn_kit`), `metrics.json`, `samples.json` (held-out beam
captions with their references) and `attention.png` (where each generated word
looked).
"""

import os

from keras_rnn_kit.applications import train_application
from keras_rnn_kit.metrics import caption_bleu
from keras_rnn_kit.metrics import cider_d
from keras_rnn_kit.models.captioning.captioning_training import save_attention_maps
from keras_rnn_kit.utils.script_io import script_parser
from keras_rnn_kit.utils.script_io import write_json_files


def parse_args(argv=None):
    parser = script_parser(__doc__.split("\n\n")[0], out="captioning_out")
    parser.add_argument("--beam-width", type=int, default=3)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    result = train_application(
        "captioning", out=args.out, strategy=args.strategy, epochs=args.epochs,
        tiny=args.tiny, seed=args.seed, verbose=2,
    )
    captioner = result["model"]
    images, captions = result["prepared"].test
    hypotheses = captioner.caption(images, beam_width=args.beam_width)
    references = [[c] for c in captions]
    beam = caption_bleu(hypotheses, references)
    beam["cider_d"] = cider_d(hypotheses, references)[0]
    metrics = {**result["metrics"], "beam": beam, "cider_d": beam["cider_d"]}
    print("held-out greedy " + ", ".join(
        f"bleu_{n}: {result['metrics'][f'bleu_{n}']:.3f}" for n in range(1, 5)))
    print(f"held-out beam-{args.beam_width} " + ", ".join(
        f"{k}: {v:.3f}" for k, v in beam.items()))
    samples = [{"caption": h, "reference": r[0]}
               for h, r in zip(hypotheses, references, strict=True)][:5]
    for sample in samples:
        print(f"  {sample['caption']!r} (reference {sample['reference']!r})")
    save_attention_maps(captioner, images[0], os.path.join(args.out, "attention.png"))
    write_json_files(args.out, {"metrics.json": metrics, "samples.json": samples})
    print(f"wrote {result['model_path']}, metrics.json, samples.json, "
          f"attention.png to {args.out}")


if __name__ == "__main__":
    main()
