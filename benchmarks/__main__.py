"""`python -m benchmarks [--quick]`: writes results/latest.{json,md,png}."""

import argparse
import json
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from benchmarks import application_epochs  # noqa: E402
from benchmarks import application_tflite  # noqa: E402
from benchmarks import bptt_scaling  # noqa: E402
from benchmarks import bundle_trimming  # noqa: E402
from benchmarks import cell_speed  # noqa: E402
from benchmarks import heldout_sentiment  # noqa: E402
from benchmarks import heldout_translation  # noqa: E402
from benchmarks import masked_training  # noqa: E402
from benchmarks import new_lengths  # noqa: E402
from benchmarks import tflite_latency  # noqa: E402
from benchmarks.report import write_report  # noqa: E402

RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")
SECTIONS = (
    "cells",
    "bptt",
    "tflite",
    "masked",
    "new_lengths",
    "applications",
    "app_tflite",
    "heldout",
)


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Kit cells against Keras built-ins, as speedup ratios.",
        epilog="Example: python -m benchmarks --quick",
    )
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    parser.add_argument("--out", default=RESULTS, help="folder for the results")
    parser.add_argument(
        "--only",
        default=",".join(s for s in SECTIONS if s != "heldout"),
        help="comma-separated sections: cells (train/infer per cell), bptt "
        "(scaling with sequence length), tflite (LiteRT latency and size), masked "
        "(masked BiLSTM training on length-bucketed batches), new_lengths (batch-1 "
        "inference at 19 new lengths, compiles included), applications (a "
        "training epoch of each application), app_tflite (each application's "
        "LiteRT file, batch 1: size and latency, masked loop vs trimmed loop vs "
        "trimmed fused LSTM; the bundle's padding cut), heldout (zh->en formatted "
        "text with held-out numbers: Translator defaults vs a char-level seq2seq; "
        "real Chinese reviews: sentiment defaults vs TF-IDF+LR and a BiLSTM, needs "
        "the bench extra; not in the default run, about 20 min)",
    )
    args = parser.parse_args(argv)
    sections = set(args.only.split(","))
    unknown = sorted(sections - set(SECTIONS))
    if unknown:
        parser.error(f"--only: unknown section {unknown[0]!r}; choose from {SECTIONS}")
    repeats = 5 if args.quick else 15
    records = cell_speed.run(repeats=repeats) if "cells" in sections else []
    if "bptt" in sections:
        lengths = [25, 100, 400] if args.quick else bptt_scaling.LENGTHS
        records += bptt_scaling.run(lengths=lengths, repeats=3 if args.quick else 5)
    if "tflite" in sections:
        records += tflite_latency.run(repeats=20 if args.quick else 100)
    if "masked" in sections:
        records += masked_training.run(repeats=3 if args.quick else 7)
    if "new_lengths" in sections:
        records += new_lengths.run(repeats=1 if args.quick else 3)
    if "applications" in sections:
        records += application_epochs.run(repeats=2 if args.quick else 3)
    if "app_tflite" in sections:
        records += application_tflite.run(repeats=200 if args.quick else 1000)
        records += bundle_trimming.run(repeats=200 if args.quick else 1000)
    if "heldout" in sections:
        records.append(heldout_translation.run())
        records.append(heldout_sentiment.run())
    if "cells" in sections:
        peak = cell_speed.matmul_peak_flops(repeats=repeats)
        for record in records:
            if "kit_flops" in record and record["size"] == cell_speed.SIZES[0]:
                record["kit_flops_per_s"] = record["kit_flops"] / record["kit_s"]
                record["peak_flops_per_s"] = peak
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "latest.json"), "w") as f:
        json.dump(records, f, indent=2)
    table = write_report(records, args.out)
    print(table)
    print(f"results written to {args.out}/latest.json, latest.md, latest.png")


if __name__ == "__main__":
    main()
