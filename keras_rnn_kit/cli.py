"""The `rnnkit` command line: thin wrappers that parse arguments and call the library.

Each subcommand is one `_<name>_command(args)` function plus one parser block in
`build_parser` (registered with `_add_command`, which gives it an example and the
shared `--debug` flag). Errors print one line and a hint and exit with status 1;
`--debug` shows the traceback instead.

Example:

    rnnkit gradient-flow --cells vanilla,original_lstm,lstm --steps 100 --out flow.png
    rnnkit demo --out demo_out --quick
    python -m keras_rnn_kit --help
"""

import argparse
import os
import sys

from keras_rnn_kit.cells import CELLS
from keras_rnn_kit.diagnostics import gradient_flow
from keras_rnn_kit.diagnostics import gradient_flow_report
from keras_rnn_kit.diagnostics import plot_gradient_flow

PROG = "rnnkit"


def _gradient_flow_command(args):
    if not args.out.lower().endswith(".png"):
        raise ValueError(f"`--out` must name a .png file, got {args.out!r}.")
    flows = {
        name: gradient_flow(
            name,
            steps=args.steps,
            batch_size=args.batch_size,
            input_dim=args.input_dim,
            units=args.units,
            seed=args.seed,
        )
        for name in args.cells
    }
    print(gradient_flow_report(flows))
    print(f"wrote {plot_gradient_flow(flows, args.out)}")
    return 0


def _demo_command(args):
    steps, batch_size = (30, 4) if args.quick else (100, 16)
    flows = {
        name: gradient_flow(name, steps=steps, batch_size=batch_size, seed=args.seed)
        for name in CELLS
    }
    report = gradient_flow_report(flows)
    os.makedirs(args.out, exist_ok=True)
    plot_path = plot_gradient_flow(flows, os.path.join(args.out, "gradient_flow.png"))
    report_path = os.path.join(args.out, "report.md")
    with open(report_path, "w", encoding="utf-8") as f:
        f.write(
            "# keras-rnn-kit demo\n\n"
            "## Gradient flow through time\n\n"
            f"Loss `L = sum(h_T)` after T = {steps} steps of random normal inputs "
            f"(batch {batch_size}, seed {args.seed}); `s_t` is the cell state `c` "
            "for the LSTM-style cells and `h` for the vanilla cell. A ratio far "
            "below 1 is a vanishing gradient, far above 1 an exploding one.\n\n"
            f"```\n{report}\n```\n\n![gradient flow](gradient_flow.png)\n"
        )
    print(report)
    print(f"wrote {plot_path}")
    print(f"wrote {report_path}")
    return 0


def build_parser():
    """Returns the `rnnkit` argument parser with every subcommand."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="keras-rnn-kit: textbook recurrent networks as Keras software.",
        epilog=f"example:\n  {PROG} demo --out demo_out --quick",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--debug", action="store_true", help="show the traceback on errors"
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    sub = _add_command(
        commands,
        "gradient-flow",
        _gradient_flow_command,
        "plot how the gradient of the last step's output decays back in time",
        f"{PROG} gradient-flow --cells vanilla,original_lstm,lstm --steps 100 "
        "--out flow.png",
    )
    sub.add_argument(
        "--cells",
        type=_cell_list,
        default=list(CELLS),
        help=f"comma-separated cells among {','.join(CELLS)} (default: all)",
    )
    sub.add_argument("--steps", type=int, default=100, help="sequence length T")
    sub.add_argument("--batch-size", type=int, default=16, help="random sequences")
    sub.add_argument("--input-dim", type=int, default=8, help="features per step")
    sub.add_argument("--units", type=int, default=32, help="cell width")
    sub.add_argument("--seed", type=int, default=0, help="inputs and weights seed")
    sub.add_argument("--out", default="gradient_flow.png", help="PNG file to write")

    sub = _add_command(
        commands,
        "demo",
        _demo_command,
        "run the kit's showcase and write its plots and report.md",
        f"{PROG} demo --out demo_out --quick",
    )
    sub.add_argument("--out", default="demo_out", help="output folder")
    sub.add_argument("--quick", action="store_true", help="smaller, faster settings")
    sub.add_argument("--seed", type=int, default=0, help="random seed")
    return parser


def main(argv=None) -> int:
    """Runs `rnnkit` with `argv` (default `sys.argv[1:]`); returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except KeyboardInterrupt:
        print(f"{PROG} {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as error:
        if args.debug:
            raise
        message = " ".join(str(error).split()) or type(error).__name__
        print(f"{PROG} {args.command}: error: {message}", file=sys.stderr)
        print(f"hint: {_hint(error, args.command)}", file=sys.stderr)
        return 1


def _add_command(commands, name, run, summary, example):
    """Adds one subcommand whose `--help` ends with `example`."""
    sub = commands.add_parser(
        name,
        help=summary,
        description=summary,
        epilog=f"example:\n  {example}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub.add_argument(
        "--debug",
        action="store_true",
        default=argparse.SUPPRESS,
        help="show the traceback on errors",
    )
    sub.set_defaults(run=run)
    return sub


def _cell_list(text):
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in CELLS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"expected a comma-separated list of {', '.join(CELLS)}; got {text!r}"
        )
    return names


def _hint(error, command):
    if isinstance(error, OSError):
        return "check that the output path is writable and its folder exists."
    return f"run `{PROG} {command} --help` for the arguments and an example."
