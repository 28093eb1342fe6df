"""Trains an attention encoder-decoder to translate, then decodes greedily and with
beam search.

The training is the kit's registered recipe, the very one `rnnkit train
translation` and `rnnkit demo` run (`keras_rnn_kit.applications.train_application`,
`keras_rnn_kit.models.translation.translation_recipe`): the split, the
tokenizers, the copy head, the sizes and the epochs (at least 4,800 steps on a
small file). The flags below make a variant of the recipe (`dataclasses.replace`):
other cells, encoders and attention.

Without `--data` it learns to read Chinese numbers as English words (三百二十一 ->
"three hundred twenty one", generated for 0..9999) and is scored on numbers it
never saw; with `--data pairs.tsv` it reads `source<TAB>target` lines (e.g. a
Tatoeba/Anki export), holds out `--held-out-fraction` of them or tests on
`--test-data`.

Usage:

    python examples/translation/train.py --out /tmp/translation
    python examples/translation/train.py --tiny --out /tmp/translation_tiny
    python examples/translation/train.py --data cmn.txt --epochs 20 --out /tmp/cmn

Outputs in `--out`: `translation.keras` (reload with `keras.saving.load_model`
after `import keras_rnn_kit`, or use translate.py), `metrics.json` (held-out exact
match and BLEU, greedy and beam), `samples.json` (five held-out sources,
references and both decodings) and `attention.png` (what the decoder attended to
for one sentence).
"""

import dataclasses
import os

from keras_rnn_kit.applications import get_application
from keras_rnn_kit.applications import train_application
from keras_rnn_kit.diagnostics import plot_attention
from keras_rnn_kit.models.translation.translation_recipe import BEAM_WIDTH
from keras_rnn_kit.utils.script_io import script_parser
from keras_rnn_kit.utils.script_io import write_json_files


def parse_args(argv=None):
    recipe = get_application("translation")
    parser = script_parser(__doc__.split("\n\n")[0], out="translation_out")
    parser.add_argument("--data", help="source<TAB>target file; default: numbers")
    parser.add_argument("--test-data", help="source<TAB>target file to test on")
    parser.add_argument("--held-out-fraction", type=float,
                        default=recipe.test_fraction,
                        help="share of --data held out without --test-data")
    parser.add_argument("--encoder-type", default=recipe.encoder_type,
                        help="bidirectional or stacked")
    parser.add_argument("--cell", default=recipe.cell,
                        help="encoder and decoder cell: vanilla, additive, "
                        "original_lstm or lstm")
    parser.add_argument("--attention", default=recipe.attention,
                        help="bahdanau, luong_general or luong_dot")
    parser.add_argument("--units", type=int, default=recipe.units)
    parser.add_argument("--embedding-dim", type=int, default=recipe.embedding_dim)
    parser.add_argument("--batch-size", type=int, default=recipe.batch_size)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    recipe = dataclasses.replace(
        get_application("translation"), encoder_type=args.encoder_type,
        cell=args.cell, attention=args.attention, units=args.units,
        embedding_dim=args.embedding_dim,
    )
    result = train_application(
        recipe, args.data, out=args.out, strategy=args.strategy,
        epochs=args.epochs, batch_size=args.batch_size, tiny=args.tiny,
        seed=args.seed, test_data=args.test_data,
        validation_split=None if args.test_data else args.held_out_fraction,
        verbose=2,
    )
    metrics, translator = result["metrics"], result["model"]
    print(f"held-out exact match: greedy {metrics['greedy_exact_match']:.3f}, "
          f"beam {metrics['beam_exact_match']:.3f}; BLEU: greedy "
          f"{metrics['greedy_bleu']:.1f}, beam {metrics['beam_bleu']:.1f}")
    sources, references = (column[:5] for column in result["prepared"].test)
    greedy = translator.translate(sources, beam_width=1)
    beam = translator.translate(sources, beam_width=BEAM_WIDTH)
    samples = [
        {"source": s, "reference": r, "greedy": g, "beam": b}
        for s, r, g, b in zip(sources, references, greedy, beam, strict=True)
    ]
    for sample in samples:
        print(f"  {sample['source']} -> {sample['beam']!r} "
              f"(reference {sample['reference']!r})")
    _, attention = translator.translate(sources[0], return_attention=True)
    plot_attention(
        attention["source_tokens"], attention["target_tokens"], attention["weights"],
        os.path.join(args.out, "attention.png"), title=sources[0],
    )
    write_json_files(args.out, {"samples.json": samples})
    print(f"wrote {result['model_path']}, metrics.json, samples.json and "
          f"attention.png to {args.out}")


if __name__ == "__main__":
    main()
