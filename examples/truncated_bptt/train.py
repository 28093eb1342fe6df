"""Trains an LSTM with truncated backpropagation through time on long sequences.

The task is a delayed echo: the input is a stream of random bits and the target at
step t is the bit seen `--delay` steps earlier (0 before that). Each sequence is
`--length` steps long; `TruncatedBPTT` cuts it into windows of `--window` steps,
carries the state from one window to the next and stops the gradient at every
window boundary, so no backward pass is longer than `--window` steps.

An echo shorter than the window is learned (validation accuracy near 1); set
`--delay` above `--window` and the gradient that would teach it is cut off, so the
accuracy stays at chance: 0.5 on the echoed steps, where the answer is a coin
flip without the memory, and 1 on the first `--delay` steps, whose target is
always 0 (try it).

Usage:

    python examples/truncated_bptt/train.py --out /tmp/tbptt
    python examples/truncated_bptt/train.py --tiny --out /tmp/tbptt_tiny
    python examples/truncated_bptt/train.py --delay 30 --window 20 --out /tmp/cut

Outputs in `--out`: `tbptt.keras` (reload it with `keras.saving.load_model` after
`import keras_rnn_kit`) and `metrics.json` (the last epoch's logs and the settings).
"""

import os

# isort: off
import keras_rnn_kit  # noqa: F401  (first: hides TF's native logs)
# isort: on
import keras
import numpy as np

from keras_rnn_kit.cells import get_cell
from keras_rnn_kit.training import TruncatedBPTT
from keras_rnn_kit.training import train
from keras_rnn_kit.utils.script_io import script_parser
from keras_rnn_kit.utils.script_io import training_options
from keras_rnn_kit.utils.script_io import write_json_files


def parse_args(argv=None):
    parser = script_parser(__doc__.split("\n\n")[0], out="tbptt_out", epochs=3)
    parser.add_argument("--cell", default="lstm",
                        help="vanilla, additive, original_lstm or lstm")
    parser.add_argument("--units", type=int, default=32)
    parser.add_argument("--num-sequences", type=int, default=1024)
    parser.add_argument("--length", type=int, default=200, help="steps per sequence")
    parser.add_argument("--window", type=int, default=20, help="steps per window")
    parser.add_argument("--delay", type=int, default=5, help="echo delay in steps")
    parser.add_argument("--update", default="window",
                        help="window (update per window) or accumulate (per batch; "
                        "needed under a multi-device strategy)")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--learning-rate", type=float, default=0.01)
    args = parser.parse_args(argv)
    if args.tiny:
        args.num_sequences, args.length, args.window, args.delay = 64, 24, 8, 2
        args.units, args.epochs = 8, 1
    return args


def delayed_echo(num_sequences, length, delay, seed):
    """Random bits `(n, length, 1)` and the same bits shifted `delay` steps later."""
    rng = np.random.default_rng(seed)
    bits = rng.integers(0, 2, size=(num_sequences, length, 1)).astype("float32")
    echo = np.zeros_like(bits)
    echo[:, delay:] = bits[:, : length - delay]
    return bits, echo


def main(argv=None):
    args = parse_args(argv)
    keras.utils.set_random_seed(args.seed)
    os.makedirs(args.out, exist_ok=True)
    x, y = delayed_echo(args.num_sequences, args.length, args.delay, args.seed)
    cut = int(0.8 * args.num_sequences)

    def build_model():
        recurrent = keras.layers.RNN(
            get_cell(args.cell, args.units), return_sequences=True, return_state=True
        )
        model = TruncatedBPTT(
            recurrent, keras.layers.Dense(1), window_size=args.window,
            update=args.update,
        )
        model.compile(
            optimizer=keras.optimizers.Adam(args.learning_rate, global_clipnorm=1.0),
            loss=keras.losses.BinaryCrossentropy(from_logits=True),
            metrics=[keras.metrics.BinaryAccuracy(name="accuracy", threshold=0.0)],
        )
        model.build((None, None, 1))
        return model

    windows = -(-args.length // args.window)
    print(f"{args.cell}: {cut} sequences of {args.length} steps, {windows} windows "
          f"of {args.window}, echo delay {args.delay}, update={args.update!r}")
    model, history = train(
        build_model,
        (x[:cut], y[:cut]),
        (x[cut:], y[cut:]),
        **training_options(args),
    )
    metrics = {key: float(values[-1]) for key, values in history.history.items()}
    chance = (args.delay + 0.5 * (args.length - args.delay)) / args.length
    print(f"validation accuracy: {metrics['val_accuracy']:.4f} "
          f"(chance: {chance:.4f})")

    model_path = os.path.join(args.out, "tbptt.keras")
    model.save(model_path)
    settings = {k: getattr(args, k) for k in ("cell", "units", "length", "window",
                                              "delay", "update", "epochs")}
    write_json_files(args.out, {"metrics.json": {**metrics, "settings": settings}})
    print(f"wrote {model_path} and metrics.json to {args.out}")


if __name__ == "__main__":
    main()
