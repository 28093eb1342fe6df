"""The `rnnkit` command line: thin wrappers that parse arguments and call the library.

Each subcommand is one `_<name>_command(args)` function plus one parser block in
`build_parser` (registered with `_add_command`, which gives it an example and the
shared `--debug` flag). Errors print one line and a hint and exit with status 1;
`--debug` shows the traceback instead.

The application commands (`train`, `evaluate`, `predict`) go through
`keras_rnn_kit.applications`, `demo` through `keras_rnn_kit.demo`, and `export` /
`serve` through `keras_rnn_kit.export`.

Example:

    rnnkit train translation --tiny --out /tmp/tr
    rnnkit predict translation /tmp/tr/translation.keras 三百二十一
    rnnkit export /tmp/tr/translation.keras --format tflite --verify
    rnnkit gradient-flow --cells vanilla,original_lstm,lstm --steps 100 --out flow.png
    rnnkit demo --out demo_out --quick
    python -m keras_rnn_kit --help
"""

import argparse
import errno
import os
import shutil
import sys

import numpy as np

from keras_rnn_kit.applications import APPLICATIONS
from keras_rnn_kit.applications import evaluate_application
from keras_rnn_kit.applications import load_task_model
from keras_rnn_kit.applications import predict_application
from keras_rnn_kit.applications import train_application
from keras_rnn_kit.cells import CELLS
from keras_rnn_kit.data.image_io import encode_png
from keras_rnn_kit.demo import run_demo
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


def _data_options(args):
    """The options `train` and `evaluate` share: the same ones read the same split."""
    return {
        "tiny": args.tiny,
        "seed": args.seed,
        "test_data": args.test_data,
        "validation_split": args.validation_split,
    }


def _train_command(args):
    result = train_application(
        args.application,
        args.data,
        out=args.out,
        strategy=args.strategy,
        epochs=args.epochs,
        batch_size=args.batch_size,
        **_data_options(args),
        sequence_length=args.sequence_length,
        verbose=2,
        peer_timeout_s=args.peer_timeout,
    )
    _print_metrics(result["metrics"])
    print(f"wrote {result['model_path']}")
    print(f"wrote {result['metrics_path']}")
    return 0


def _evaluate_command(args):
    metrics = evaluate_application(
        args.application,
        args.model,
        args.data,
        **_data_options(args),
    )
    _print_metrics(metrics)
    print(f"evaluated {args.model} (nothing written)")
    return 0


def _predict_command(args):
    given = {
        "beam_width": args.beam_width,
        "question": args.question,
        "history": args.history,
    }
    options = {name: value for name, value in given.items() if value is not None}
    for line in predict_application(
        args.application, args.model, args.inputs, **options
    ):
        print(line)
    print(f"predicted {len(args.inputs)} input(s) with {args.model} (nothing written)")
    return 0


def _export_command(args):
    from keras_rnn_kit import export

    quantization = None if args.quantization == "none" else args.quantization
    if args.format == "saved_model" and quantization is not None:
        raise ValueError(
            "`--quantization` applies to --format tflite only, got "
            f"{args.quantization!r} with saved_model."
        )
    if args.format == "tflite" and (args.version or args.model_name or args.overflow):
        raise ValueError(
            "`--version`, `--model-name` and `--overflow` apply to --format "
            "saved_model only."
        )
    model = load_task_model(args.model)
    stem = os.path.splitext(args.model)[0]
    if args.format == "saved_model":
        path = export.export_saved_model(
            model,
            args.out or f"{stem}_saved_model",
            version=args.version,
            overwrite=args.overwrite,
            model_name=args.model_name or os.path.basename(stem),
            overflow=args.overflow or "truncate",
        )
        checked = path
    else:
        path, checked = _export_tflite(export, model, stem, args, quantization)
    if args.verify:
        _verify_or_remove(export, model, checked, args.format, remove=path)
    print(f"wrote {path}")
    return 0


def _export_tflite(export, model, stem, args, quantization):
    """An application task -> a bundle folder (`export_tflite_bundle`); any other
    model -> one `.tflite` file. Returns `(written path, .tflite path)`."""
    representative = None
    if quantization == "int8":
        representative = _spec_samples(
            next(iter(_signatures(model, "tflite").values())), 8
        )
    options = {
        "quantization": quantization,
        "representative_data": representative,
        "overwrite": args.overwrite,
    }
    if not callable(getattr(model, "text_assets", None)):
        path = export.export_tflite(model, args.out or f"{stem}.tflite", **options)
        return path, path
    if args.out and args.out.endswith(".tflite"):
        raise ValueError(
            "`--out` names the bundle folder of an application (it holds "
            f"model.tflite, bundle.json, ...), got {args.out!r}; pass a folder such "
            f"as {args.out.removesuffix('.tflite') + '_tflite'!r}."
        )
    path = export.export_tflite_bundle(model, args.out or f"{stem}_tflite", **options)
    for name in sorted(os.listdir(path)):
        print(f"  {os.path.join(path, name)}")
    return path, os.path.join(path, export.bundle.MODEL_FILE)


def _verify_or_remove(export, model, path, kind, remove):
    """Checks every signature of the export at `path` against `model`; a failed
    check removes `remove` (the export), so no server or app picks up an
    unverified one."""
    try:
        for name, function in _signatures(model, kind).items():
            report = export.verify_export(
                model, path, _spec_samples(function, 2), signature=name
            )
            if not report["passed"]:
                raise ValueError(
                    f"signature {name!r} of the export differs from the Keras model "
                    f"by {report['max_abs_diff']:.3g} (tolerance "
                    f"{report['tolerance']:.3g})"
                )
    except Exception as error:
        remover = shutil.rmtree if os.path.isdir(remove) else os.remove
        remover(remove)
        raise ValueError(
            f"--verify failed, so {remove} was removed: {error}"
        ) from error


def _serve_command(args):
    from keras_rnn_kit import export

    limits = {"workers": args.workers, "timeout": args.timeout}
    export.serve(
        args.model_dir,
        args.port,
        host=args.host,
        **{name: value for name, value in limits.items() if value is not None},
    )
    print(f"stopped serving {args.model_dir}")
    return 0


def _demo_command(args):
    metrics = run_demo(args.out, quick=args.quick, seed=args.seed)
    for name in metrics["paths"]:
        print(f"wrote {os.path.join(args.out, name)}")
    print(f"demo took {metrics['seconds']:.0f} s; read {args.out}/report.md")
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
        "train",
        _train_command,
        "train an application and save it as a .keras file",
        f"{PROG} train translation --epochs 12 --out translation_out",
    )
    _application_argument(sub)
    _data_argument(sub)
    sub.add_argument(
        "--test-data",
        metavar="FILE",
        help="sentiment, translation: test on this file (same format as --data); "
        "all of --data is then training data",
    )
    sub.add_argument(
        "--validation-split",
        type=float,
        metavar="F",
        help="sentiment, translation: share of --data held out for the metrics "
        "without --test-data, in (0, 1); the split is seeded, shuffled and "
        "stratified by label (default: 0.2 sentiment, 0.1 translation)",
    )
    sub.add_argument(
        "--sequence-length",
        type=int,
        metavar="N",
        help="sentiment, translation: tokens per text (default: sentiment the "
        "length covering 95%% of the training texts, 8 to 512, at most 16 with "
        "--tiny; translation the longest training pair)",
    )
    sub.add_argument(
        "--strategy",
        default="auto",
        choices=("auto", "one_device", "mirrored", "multi_worker"),
        help="distribution strategy (default: auto)",
    )
    sub.add_argument(
        "--epochs", type=int, help="default: 1 with --tiny, else the app's"
    )
    sub.add_argument("--batch-size", type=int, help="global batch size")
    sub.add_argument("--out", default="rnnkit_out", help="output folder")
    sub.add_argument("--tiny", action="store_true", help="seconds-long smoke run")
    sub.add_argument("--seed", type=int, default=0, help="data and weights seed")
    sub.add_argument(
        "--peer-timeout",
        type=float,
        metavar="SECONDS",
        help="multi_worker: wait this long for the other workers (default: "
        "$RNNKIT_PEER_TIMEOUT_S, else 300)",
    )

    sub = _add_command(
        commands,
        "evaluate",
        _evaluate_command,
        "print a trained model's task metrics on the held-out split",
        f"{PROG} evaluate translation translation_out/translation.keras",
    )
    _application_argument(sub)
    sub.add_argument("model", help="a .keras file written by `rnnkit train`")
    _data_argument(sub)
    sub.add_argument("--tiny", action="store_true", help="the --tiny data split")
    sub.add_argument("--seed", type=int, default=0, help="the training run's seed")
    sub.add_argument(
        "--test-data", metavar="FILE", help="the training run's --test-data"
    )
    sub.add_argument(
        "--validation-split",
        type=float,
        metavar="F",
        help="the training run's --validation-split",
    )

    sub = _add_command(
        commands,
        "predict",
        _predict_command,
        "run a trained model on texts or image files",
        f'{PROG} predict vqa vqa_out/vqa.keras --question "what shape is it?" '
        "shape.png",
    )
    _application_argument(sub)
    sub.add_argument("model", help="a .keras file written by `rnnkit train`")
    sub.add_argument(
        "inputs", nargs="+", help="texts (sentiment, translation) or image paths"
    )
    sub.add_argument("--question", help="the question (vqa, visual-dialog)")
    sub.add_argument("--history", help="the dialog so far (visual-dialog)")
    sub.add_argument(
        "--beam-width", type=int, help="beam width (translation, captioning)"
    )

    sub = _add_command(
        commands,
        "export",
        _export_command,
        "export a .keras model to a SavedModel (TF Serving) or a TFLite bundle "
        "(model.tflite with its vocabulary, labels and TF-free reference code)",
        f"{PROG} export translation_out/translation.keras --format tflite --verify",
    )
    sub.add_argument("model", help="a .keras file")
    sub.add_argument("--format", required=True, choices=("saved_model", "tflite"))
    sub.add_argument(
        "--quantization",
        default="none",
        choices=("none", "dynamic", "float16", "int8"),
        help="TFLite weight quantization (default: none)",
    )
    sub.add_argument(
        "--verify", action="store_true", help="compare the export with the model"
    )
    sub.add_argument(
        "--out",
        help="default: MODEL_saved_model/, or next to MODEL the TFLite bundle "
        "folder MODEL_tflite/ of an application (MODEL.tflite for other models)",
    )
    sub.add_argument(
        "--overwrite",
        action="store_true",
        help="replace an existing TFLite bundle or SavedModel version",
    )
    sub.add_argument(
        "--version", type=int, help="saved_model: version number (default: next)"
    )
    sub.add_argument(
        "--model-name",
        help="saved_model: the name clients use in URLs (default: MODEL's stem)",
    )
    sub.add_argument(
        "--overflow",
        choices=("truncate", "error"),
        help="saved_model: what serving does with text longer than the model's "
        "sequence_length: cut it (default; a batched request never fails its "
        "neighbours) or refuse it",
    )

    sub = _add_command(
        commands,
        "serve",
        _serve_command,
        "serve a SavedModel folder with the TF Serving REST API (Ctrl-C stops)",
        f"{PROG} serve translation_out/translation_saved_model --port 8501",
    )
    sub.add_argument("model_dir", help="base folder of numbered SavedModel versions")
    sub.add_argument("--port", type=int, default=8501, help="TCP port")
    sub.add_argument("--host", default="127.0.0.1", help="interface to bind")
    sub.add_argument("--workers", type=int, help="requests served at once (32)")
    sub.add_argument(
        "--timeout", type=float, help="seconds a socket read or write may wait (5)"
    )

    sub = _add_command(
        commands,
        "demo",
        _demo_command,
        "train VQA and a translator on embedded data, export them, write a report",
        f"{PROG} demo --out demo_out --quick",
    )
    sub.add_argument("--out", default="demo_out", help="output folder")
    sub.add_argument(
        "--quick", action="store_true", help="about a minute instead of ~10"
    )
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


def _application_argument(sub):
    sub.add_argument(
        "application",
        choices=tuple(APPLICATIONS),
        help=", ".join(APPLICATIONS),
    )


def _data_argument(sub):
    sub.add_argument(
        "--data",
        metavar="PATH_OR_TFDS_NAME",
        help="; ".join(f"{app.name}: {app.data_help}" for app in APPLICATIONS.values()),
    )


def _print_metrics(metrics):
    for name, value in metrics.items():
        print(f"{name}: {value:.4f}")


def _signatures(model, kind):
    """`{name: tf.function}` as the exporter writes them, `serving_default` first."""
    from keras_rnn_kit.export.signatures import resolve_signatures

    functions = resolve_signatures(model, None, kind)
    first = (
        "serving_default" if "serving_default" in functions else next(iter(functions))
    )
    return {first: functions[first], **functions}


def _spec_samples(function, rows, steps=5, seed=0):
    """Inputs for a signature: `rows` examples, unknown axes of length `steps`;
    floats uniform in [0, 1), ints 1, masks True, `*image*` strings PNG bytes of
    random 32x32 images, other strings one word (it fits any text length)."""
    rng = np.random.default_rng(seed)
    samples = {}
    for spec in function.input_signature:
        shape = [rows] + [steps if d is None else d for d in spec.shape[1:]]
        if spec.dtype.is_floating:
            samples[spec.name] = rng.random(shape).astype(spec.dtype.as_numpy_dtype)
        elif spec.dtype.is_bool:
            samples[spec.name] = np.ones(shape, bool)
        elif spec.dtype.is_integer:
            samples[spec.name] = np.ones(shape, spec.dtype.as_numpy_dtype)
        elif "image" in spec.name:
            pixels = rng.integers(0, 256, (*shape, 32, 32, 3), dtype=np.uint8)
            samples[spec.name] = np.array(
                [encode_png(image) for image in pixels.reshape(-1, 32, 32, 3)],
                dtype=object,
            ).reshape(shape)
        else:
            samples[spec.name] = np.full(shape, "good", dtype=object)
    return samples


def _hint(error, command):
    if isinstance(error, FileNotFoundError):
        return "check the path: it must exist."
    if isinstance(error, OSError) and error.errno == errno.EADDRINUSE:
        return "pass a free port with --port, or stop the server holding this one."
    if isinstance(error, OSError):
        return "check that the output path is writable and its folder exists."
    if isinstance(error, ImportError):
        return "install the missing package named above into this environment."
    return f"run `{PROG} {command} --help` for the arguments and an example."
