"""Trains an attention encoder-decoder to translate, then decodes greedily and with
beam search.

Its defaults (sizes, batch size, epochs: at least 2,400 steps on a small file)
are the translation recipe's (`keras_rnn_kit.models.translation.translation_recipe`),
the ones `rnnkit train translation` and `rnnkit demo` train with; the flags below
let you try other cells, encoders and attention.

Without `--data` it learns to read Chinese numbers as English words (三百二十一 ->
"three hundred twenty one"), generated for 0..`--max-number`, and is scored on
numbers it never saw; with `--data pairs.tsv` it reads `source<TAB>target` lines
(e.g. a Tatoeba/Anki export) and holds out `--held-out-fraction` of them.

Usage:

    python examples/translation/train.py --out /tmp/translation
    python examples/translation/train.py --tiny --out /tmp/translation_tiny
    python examples/translation/train.py --data cmn.txt --epochs 20 --out /tmp/cmn

Outputs in `--out`: `translator.keras` (reload with `keras.saving.load_model` after
`import keras_rnn_kit`, or use translate.py), `metrics.json` (held-out exact match
and BLEU, greedy and beam), `samples.json` (held-out sources, references and both
decodings) and `attention.png` (what the decoder attended to for one sentence).
"""

import os
import random

import keras
import numpy as np

from keras_rnn_kit.data import number_translation_splits
from keras_rnn_kit.data import read_parallel_tsv
from keras_rnn_kit.diagnostics import plot_attention
from keras_rnn_kit.metrics import corpus_bleu
from keras_rnn_kit.metrics import exact_match
from keras_rnn_kit.models.translation import TranslationBackbone
from keras_rnn_kit.models.translation import TranslationPreprocessor
from keras_rnn_kit.models.translation import Translator
from keras_rnn_kit.models.translation import translation_recipe
from keras_rnn_kit.training import train
from keras_rnn_kit.utils.script_io import script_parser
from keras_rnn_kit.utils.script_io import training_options
from keras_rnn_kit.utils.script_io import write_json_files


def parse_args(argv=None):
    parser = script_parser(__doc__.split("\n\n")[0], out="translation_out")
    parser.add_argument("--data", help="source<TAB>target file; default: numbers")
    parser.add_argument("--max-number", type=int, default=9999,
                        help="generated numbers 0..max-number")
    parser.add_argument("--held-out-fraction", type=float, default=0.1)
    parser.add_argument("--encoder-type", default="bidirectional",
                        help="bidirectional or stacked")
    parser.add_argument("--cell", default="lstm",
                        help="encoder and decoder cell: vanilla, additive, "
                        "original_lstm or lstm")
    parser.add_argument("--attention", default="bahdanau",
                        help="bahdanau, luong_general or luong_dot")
    parser.add_argument("--units", type=int, default=translation_recipe.UNITS)
    parser.add_argument("--embedding-dim", type=int,
                        default=translation_recipe.EMBEDDING_DIM)
    parser.add_argument("--batch-size", type=int,
                        default=translation_recipe.BATCH_SIZE)
    parser.add_argument("--beam-width", type=int, default=4)
    args = parser.parse_args(argv)
    if args.tiny:
        args.max_number, args.epochs = 200, 1
        args.units, args.embedding_dim, args.beam_width = 8, 8, 2
    return args


def load_pairs(args):
    """Returns `(train_sources, train_targets), (held_sources, held_targets)`."""
    if not args.data:
        splits = number_translation_splits(
            args.held_out_fraction, seed=args.seed, max_number=args.max_number
        )
        return splits["train"], splits["held_out"]
    pairs = read_parallel_tsv(args.data)
    random.Random(args.seed).shuffle(pairs)
    held = max(1, round(args.held_out_fraction * len(pairs)))
    sources, targets = (list(column) for column in zip(*pairs, strict=True))
    return (sources[held:], targets[held:]), (sources[:held], targets[:held])


def main(argv=None):
    args = parse_args(argv)
    keras.utils.set_random_seed(args.seed)
    os.makedirs(args.out, exist_ok=True)
    (train_sources, train_targets), (held_sources, held_targets) = load_pairs(args)
    preprocessor = TranslationPreprocessor.from_corpus(
        train_sources, train_targets, overflow="truncate"
    )
    # Teacher forcing: (x, y, sample_weight) arrays, the padding weighted 0.
    x, y, weights = preprocessor(train_sources, train_targets)
    train_data = ({k: np.asarray(v) for k, v in x.items()}, np.asarray(y),
                  np.asarray(weights))

    def build_translator():
        backbone = TranslationBackbone(
            len(preprocessor.source_vocabulary),
            len(preprocessor.target_vocabulary),
            embedding_dim=args.embedding_dim,
            units=args.units,
            encoder_type=args.encoder_type,
            encoder_cell=args.cell,
            decoder_cell=args.cell,
            attention=args.attention,
        )
        translator = Translator(backbone, preprocessor)
        translator.compile()
        return translator

    epochs = args.epochs or translation_recipe.recipe_epochs(
        len(train_sources), args.batch_size
    )
    print(f"training on {len(train_sources)} pairs for {epochs} epochs, holding "
          f"out {len(held_sources)}")
    translator, history = train(
        build_translator,
        train_data,
        **training_options(args, epochs),
    )

    greedy = translator.translate(held_sources, beam_width=1)
    beam = translator.translate(held_sources, beam_width=args.beam_width)
    metrics = {
        "loss": float(history.history["loss"][-1]),
        "greedy_exact_match": exact_match(greedy, held_targets),
        "greedy_bleu": corpus_bleu(greedy, held_targets),
        "beam_exact_match": exact_match(beam, held_targets),
        "beam_bleu": corpus_bleu(beam, held_targets),
    }
    print(f"held-out exact match: greedy {metrics['greedy_exact_match']:.3f}, "
          f"beam {metrics['beam_exact_match']:.3f}; BLEU: greedy "
          f"{metrics['greedy_bleu']:.1f}, beam {metrics['beam_bleu']:.1f}")
    samples = [
        {"source": s, "reference": r, "greedy": g, "beam": b}
        for s, r, g, b in zip(held_sources, held_targets, greedy, beam, strict=True)
    ][:5]
    for sample in samples:
        print(f"  {sample['source']} -> {sample['beam']!r} "
              f"(reference {sample['reference']!r})")

    _, attention = translator.translate(held_sources[0], return_attention=True)
    plot_attention(
        attention["source_tokens"], attention["target_tokens"], attention["weights"],
        os.path.join(args.out, "attention.png"), title=held_sources[0],
    )
    model_path = os.path.join(args.out, "translator.keras")
    translator.save(model_path)
    write_json_files(args.out, {"metrics.json": metrics, "samples.json": samples})
    print(f"wrote {model_path}, metrics.json, samples.json and attention.png "
          f"to {args.out}")


if __name__ == "__main__":
    main()
