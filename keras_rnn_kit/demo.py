"""The kit's end-to-end showcase (`rnnkit demo`, `make demo`), on embedded data only.

`run_demo` trains the VQA baseline on easy-VQA (real images and questions shipped
inside the `easy-vqa` package) and a zh→en translator on the kit's generated
numbers task, exports both to SavedModel and TFLite and checks every export
against its Keras model, answers easy-VQA test questions and translates sentences
through the TFLite files with the numpy-only `TFLiteRunner`, and draws the
gradient-flow plot, an attention map and the training curves. Nothing is
downloaded. Everything lands in one folder:

    report.md, metrics.json              the numbers (report.md links the PNGs)
    gradient_flow.png, attention.png, training_curves.png
    vqa.keras, vqa_saved_model/1/, vqa_tflite/ (the TFLite bundle)
    translator.keras, translator_saved_model/1/, translator_tflite/

Example:

>>> from keras_rnn_kit.demo import run_demo
>>> metrics = run_demo("demo_out", quick=True)          # doctest: +SKIP
>>> 0.0 <= metrics["vqa"]["test_accuracy"] <= 1.0        # doctest: +SKIP
True
"""

import json
import os
import shutil
import time

import numpy as np

from keras_rnn_kit.cells import CELLS
from keras_rnn_kit.data.easy_vqa_dataset import load_easy_vqa
from keras_rnn_kit.data.image_io import encode_png
from keras_rnn_kit.diagnostics import gradient_flow
from keras_rnn_kit.diagnostics import gradient_flow_report
from keras_rnn_kit.diagnostics import plot_attention
from keras_rnn_kit.diagnostics import plot_gradient_flow
from keras_rnn_kit.export import Bundle
from keras_rnn_kit.export import export_saved_model
from keras_rnn_kit.export import export_tflite_bundle
from keras_rnn_kit.export import verify_export
from keras_rnn_kit.models.translation.number_task import train_number_translator
from keras_rnn_kit.models.vqa.vqa_recipe import train_easy_vqa

# Sentences translated in the report (the first is also the attention map).
SENTENCES = ("三百二十一", "四千零五", "一千零一十", "九千九百九十九")
# easy-VQA test questions answered through the TFLite file.
VQA_QUESTIONS = 6
# `quick`: about a minute on 2 CPU cores; full: the settings that reach the
# measured accuracies in the application docs, within ~10 minutes.
SETTINGS = {
    True: {"flow_steps": 30, "flow_batch": 4, "translation_epochs": 2},
    False: {"flow_steps": 100, "flow_batch": 16, "translation_epochs": None},
}


def run_demo(out="demo_out", quick=False, seed=0, log=print) -> dict:
    """Runs the showcase and writes its models, plots and report to `out`.

    Args:
        out: output folder (created; the files listed in the module docstring
            are replaced).
        quick: tiny data and epochs (about a minute) instead of the full run.
        seed: seeds the gradient-flow inputs and both trainings.
        log: called with one progress line per step (default `print`).

    Returns:
        The metrics also written to `metrics.json`: `gradient_flow`, `vqa`,
        `translation`, plus `paths` (the entries of `out` afterwards).
    """
    setting = SETTINGS[bool(quick)]
    os.makedirs(out, exist_ok=True)
    verbose = 0 if quick else 2
    start = time.perf_counter()

    log("[1/4] gradient flow through time (all cells)")
    flows = {
        name: gradient_flow(
            name,
            steps=setting["flow_steps"],
            batch_size=setting["flow_batch"],
            seed=seed,
        )
        for name in CELLS
    }
    flow_text = gradient_flow_report(flows)
    log(flow_text)
    plot_gradient_flow(flows, os.path.join(out, "gradient_flow.png"))

    log("[2/4] VQA on easy-VQA: train, export, answer through TFLite")
    vqa_model, vqa = train_easy_vqa(quick=quick, seed=seed, verbose=verbose)
    vqa.update(_vqa_exports(vqa_model, out, quick, log))
    log(f"VQA test accuracy: {vqa['test_accuracy']:.4f}")

    log("[3/4] zh->en translation: train, decode, export, translate through TFLite")
    translator, translation = train_number_translator(
        quick=quick, epochs=setting["translation_epochs"], seed=seed, verbose=verbose
    )
    translation.update(_translation_exports(translator, out, log))

    log("[4/4] plots and report")
    _plot_training_curves(
        {"VQA": vqa_model.history.history, "translation": translator.history.history},
        os.path.join(out, "training_curves.png"),
    )
    metrics = {
        "quick": bool(quick),
        "seconds": round(time.perf_counter() - start, 1),
        "gradient_flow": {
            "steps": setting["flow_steps"],
            "ratios": {name: float(f[0] / f[-2]) for name, f in flows.items()},
        },
        "vqa": vqa,
        "translation": translation,
    }
    _write_report(out, metrics, flow_text)
    metrics["paths"] = sorted(os.listdir(out))
    return metrics


def _fresh(path):
    """Removes a previous run's file or folder at `path`; returns `path`."""
    if os.path.isdir(path):
        shutil.rmtree(path)
    elif os.path.exists(path):
        os.remove(path)
    return path


def _check(report, what, log):
    line = (
        f"{what}: max |export - keras| = {report['max_abs_diff']:.3g} "
        f"(tolerance {report['tolerance']:.3g}), {report['size_bytes']:,} bytes"
    )
    log(line)
    return {
        "max_abs_diff": report["max_abs_diff"],
        "passed": bool(report["passed"]),
        "size_bytes": report["size_bytes"],
        "median_latency_ms": report["median_latency_ms"],
    }


def _vqa_exports(model, out, quick, log) -> dict:
    test = load_easy_vqa("test", max_images=10 if quick else 50)
    rows = np.linspace(0, len(test) - 1, VQA_QUESTIONS).astype(int)
    images = test.question_images()[rows]
    questions = [test.questions[i] for i in rows]
    # The SavedModel serves raw PNG bytes and questions; the TFLite bundle's
    # model takes the preprocessed image and token ids, and its TF-free
    # `Bundle.answer` tokenizes the questions beside it.
    raw = {
        "image_bytes": np.array([encode_png(image) for image in images], object),
        "question": np.array(questions, object),
    }
    preprocessed = model.preprocessor({"images": images, "questions": questions})
    inputs = {k: np.asarray(preprocessed[k]) for k in ("images", "token_ids")}
    model.save(_fresh(os.path.join(out, "vqa.keras")))
    saved = export_saved_model(model, _fresh(os.path.join(out, "vqa_saved_model")))
    bundle = export_tflite_bundle(model, _fresh(os.path.join(out, "vqa_tflite")))
    tflite = os.path.join(bundle, "model.tflite")
    checks = {
        "saved_model": _check(
            verify_export(model, saved, raw, verbose=False), "VQA SavedModel", log
        ),
        "tflite": _check(
            verify_export(model, tflite, inputs, verbose=False), "VQA TFLite", log
        ),
    }
    keras_answers, _ = model.answer(images, questions)
    tflite_answers, _ = Bundle(bundle).answer(inputs["images"], questions)
    samples = [
        {
            "question": question,
            "truth": test.answers[rows[row]],
            "tflite": tflite_answers[row],
            "keras": keras_answers[row],
        }
        for row, question in enumerate(questions)
    ]
    return {
        "exports": checks,
        "tflite_samples": samples,
        "tflite_equals_keras": all(s["tflite"] == s["keras"] for s in samples),
    }


def _translation_exports(translator, out, log) -> dict:
    sentences = list(SENTENCES)
    greedy = translator.translate(sentences)
    beam = translator.translate(sentences, beam_width=4)
    for source, g, b in zip(sentences, greedy, beam, strict=True):
        log(f"  {source}  greedy: {g!r}  beam: {b!r}")
    _, attention = translator.translate(sentences[0], return_attention=True)
    plot_attention(
        attention["source_tokens"],
        attention["target_tokens"],
        attention["weights"],
        os.path.join(out, "attention.png"),
        title="attention while translating (greedy)",
    )
    pre = translator.preprocessor
    x = {k: np.asarray(v) for k, v in pre(sentences).items()}
    translator.save(_fresh(os.path.join(out, "translator.keras")))
    saved = export_saved_model(
        translator, _fresh(os.path.join(out, "translator_saved_model"))
    )
    bundle = export_tflite_bundle(
        translator, _fresh(os.path.join(out, "translator_tflite"))
    )
    tflite = os.path.join(bundle, "model.tflite")
    text = np.array(sentences, dtype=object)
    checks = {
        "saved_model": _check(
            verify_export(translator, saved, {"text": text}, verbose=False),
            "translator SavedModel (strings in, strings out)",
            log,
        ),
        "tflite_encode": _check(
            verify_export(translator, tflite, x, signature="encode", verbose=False),
            "translator TFLite encode",
            log,
        ),
    }
    tflite_translations = Bundle(bundle).translate(sentences)
    log(f"  TFLite greedy: {tflite_translations}")
    return {
        "sentences": sentences,
        "greedy": greedy,
        "beam": beam,
        "tflite_greedy": tflite_translations,
        "tflite_equals_keras": tflite_translations == greedy,
        "exports": checks,
    }


def _plot_training_curves(histories: dict, path: str) -> str:
    # The figure draws on its own Agg canvas: no pyplot state, no backend switch.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from keras_rnn_kit.diagnostics.fonts import plot_font_families

    families = plot_font_families()
    figure = Figure(figsize=(5 * len(histories), 3.5))
    FigureCanvasAgg(figure)
    axes = figure.subplots(1, len(histories), squeeze=False)[0]
    for axis, (name, history) in zip(axes, histories.items(), strict=True):
        epochs = np.arange(1, len(history["loss"]) + 1)
        axis.plot(epochs, history["loss"], marker="o", label="loss")
        for key in ("accuracy", "masked_token_accuracy"):
            if key in history:
                axis.plot(epochs, history[key], marker="s", label=key)
        axis.set_title(f"{name} training", fontfamily=families)
        axis.set_xlabel("epoch")
        axis.legend(prop={"family": families})
        axis.grid(alpha=0.3)
    figure.tight_layout()
    figure.savefig(path, dpi=90)
    return path


def _epochs(results) -> str:
    return f"{results['epochs']} epoch{'' if results['epochs'] == 1 else 's'}"


def _yes(flag) -> str:
    return "yes" if flag else "NO"


def _export_rows(name, checks) -> list[str]:
    return [
        f"| {name} {kind} | {c['max_abs_diff']:.3g} | {_yes(c['passed'])} | "
        f"{c['size_bytes']:,} | {c['median_latency_ms']:.2f} |"
        for kind, c in checks.items()
    ]


def _write_report(out, metrics, flow_text) -> str:
    vqa, tr = metrics["vqa"], metrics["translation"]
    lines = [
        "# keras-rnn-kit demo",
        "",
        f"{'Quick' if metrics['quick'] else 'Full'} run, "
        f"{metrics['seconds']:.0f} s; no data downloaded.",
        "",
        "## Visual question answering (easy-VQA, Antol et al. 2015 baseline)",
        "",
        f"VQA test accuracy: {vqa['test_accuracy']:.4f} "
        f"({vqa['test_questions']} test questions, {_epochs(vqa)} on "
        f"{vqa['train_questions']} training questions, {vqa['train_seconds']:.0f} s).",
        "",
        "| question | truth | Keras | TFLite |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| {s['question']} | {s['truth']} | {s['keras']} | {s['tflite']} |"
        for s in vqa["tflite_samples"]
    ]
    lines += [
        "",
        f"VQA TFLite answers equal Keras: {_yes(vqa['tflite_equals_keras'])}",
        "",
        "## Translation (generated zh->en numbers task, held-out numbers)",
        "",
        f"Greedy exact match: {tr['greedy_exact_match']:.4f}, BLEU "
        f"{tr['greedy_bleu']:.1f}; beam exact match: {tr['beam_exact_match']:.4f}, "
        f"BLEU {tr['beam_bleu']:.1f} ({tr['held_out_pairs']} held-out numbers, "
        f"{_epochs(tr)}, {tr['train_seconds']:.0f} s).",
        "",
        "| source | greedy | beam (4) | TFLite greedy |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| {s} | {g} | {b} | {t} |"
        for s, g, b, t in zip(
            tr["sentences"], tr["greedy"], tr["beam"], tr["tflite_greedy"], strict=True
        )
    ]
    lines += [
        "",
        f"TFLite translation equals Keras: {_yes(tr['tflite_equals_keras'])}",
        "",
        "![attention](attention.png)",
        "",
        "## Exports checked against Keras",
        "",
        "| export | max abs diff | passed | bytes | median ms |",
        "|---|---|---|---|---|",
    ]
    lines += _export_rows("VQA", vqa["exports"])
    lines += _export_rows("translator", tr["exports"])
    lines += [
        "",
        "![training curves](training_curves.png)",
        "",
        "## Gradient flow through time",
        "",
        f"Loss `L = sum(h_T)` after T = {metrics['gradient_flow']['steps']} steps of "
        "random inputs; `s_t` is the cell state `c` for the LSTM-style cells and "
        "`h` for the vanilla cell. A ratio far below 1 is a vanishing gradient.",
        "",
        f"```\n{flow_text}\n```",
        "",
        "![gradient flow](gradient_flow.png)",
        "",
    ]
    path = os.path.join(out, "report.md")
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines))
    with open(os.path.join(out, "metrics.json"), "w", encoding="utf-8") as f:
        json.dump(metrics, f, indent=2, ensure_ascii=False)
    return path
