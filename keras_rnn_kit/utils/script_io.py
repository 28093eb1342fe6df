"""What every training script shares: its common flags and its JSON outputs.

The examples (`examples/<app>/train.py`) build their command line on
`script_parser` (`--out`, `--tiny`, `--epochs`, `--strategy`, `--seed`, the flags
`rnnkit train` also takes), pass them to `training.train` with
`training_options` and write their reports with `write_json_files`.

Example:

>>> parser = script_parser("Trains something.", out="something_out")
>>> args = parser.parse_args(["--tiny"])
>>> args.out, args.tiny, args.epochs, args.strategy, args.seed
('something_out', True, None, 'auto', 0)
"""

import argparse
import json
import os


def script_parser(
    description: str, out: str, epochs: int | None = None, strategy: bool = True
) -> argparse.ArgumentParser:
    """An `ArgumentParser` with the flags every training script takes.

    Args:
        description: the script's one-line description.
        out: the default output folder.
        epochs: the default of `--epochs`; `None`: the recipe's.
        strategy: add `--strategy` (a `training.get_strategy` name).

    Returns:
        The parser; add the script's own flags to it.
    """
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--out", default=out, help="output folder")
    parser.add_argument(
        "--tiny",
        action="store_true",
        help="seconds-long smoke run: tiny data and model, 1 epoch",
    )
    parser.add_argument(
        "--epochs",
        type=int,
        default=epochs,
        help="default: the recipe's" if epochs is None else f"default: {epochs}",
    )
    if strategy:
        parser.add_argument(
            "--strategy",
            default="auto",
            help="auto, one_device, mirrored, multi_worker or tpu",
        )
    parser.add_argument("--seed", type=int, default=0)
    return add_debug_flag(parser)


def add_debug_flag(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Adds `--debug`: show TensorFlow's native log lines, which the kit hides
    from its example scripts otherwise (`keras_rnn_kit.native_logs`, which reads
    the flag from `sys.argv` when the package is imported). Returns `parser`."""
    parser.add_argument(
        "--debug",
        action="store_true",
        help="show TensorFlow's native (C++) log lines",
    )
    return parser


def training_options(args: argparse.Namespace, epochs: int | None = None) -> dict:
    """The `keras_rnn_kit.training.train` keywords a script's flags choose:
    `--strategy`, `--epochs` (or `epochs`), `--batch-size`, checkpoints in
    `--out/checkpoints`, shuffling seeded by `--seed`, one line per epoch."""
    return {
        "strategy": args.strategy,
        "epochs": epochs or args.epochs,
        "global_batch_size": args.batch_size,
        "checkpoint_dir": os.path.join(args.out, "checkpoints"),
        "shuffle_seed": args.seed,
        "verbose": 2,
    }


def write_json_files(folder: str, files: dict) -> list[str]:
    """Writes each `{file name: JSON-able content}` into `folder` (UTF-8, indented,
    non-ASCII kept as is); returns the paths written."""
    paths = []
    for name, content in files.items():
        path = os.path.join(folder, name)
        with open(path, "w", encoding="utf-8") as f:
            json.dump(content, f, indent=2, ensure_ascii=False)
        paths.append(path)
    return paths
