"""`python -m benchmarks [--quick]`: writes results/latest.{json,md,png}."""

import argparse
import json
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from benchmarks import cell_speed  # noqa: E402
from benchmarks.report import write_report  # noqa: E402

RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Kit cells against Keras built-ins, as speedup ratios.",
        epilog="Example: python -m benchmarks --quick",
    )
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    parser.add_argument("--out", default=RESULTS, help="folder for the results")
    args = parser.parse_args(argv)
    repeats = 5 if args.quick else 15
    records = cell_speed.run(repeats=repeats)
    peak = cell_speed.matmul_peak_flops(repeats=repeats)
    large = [
        r for r in records if r["size"] == cell_speed.SIZES[0] and r["phase"] == "train"
    ]
    for record in large:
        gates = 3 if record["kit"].endswith("(OriginalLSTMCell)") else 4
        gates = 1 if "Vanilla" in record["kit"] else gates
        flops = cell_speed.lstm_train_flops(*record["size"], gates=gates)
        record["kit_flops_per_s"] = flops / record["kit_s"]
        record["peak_flops_per_s"] = peak
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "latest.json"), "w") as f:
        json.dump(records, f, indent=2)
    table = write_report(records, args.out)
    print(table)
    print(f"results written to {args.out}/latest.json, latest.md, latest.png")


if __name__ == "__main__":
    main()
