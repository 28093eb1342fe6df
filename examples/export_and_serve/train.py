"""Exports a sentiment classifier for TF Serving and LiteRT, checks both exports
against Keras, and answers a REST request from the SavedModel.

By default it first trains the sentiment recipe's classifier on its generated
reviews (`rnnkit train sentiment`, as examples/sentiment does); `--model
path/sentiment.keras` exports one you trained there instead. Then:

1. `export_saved_model`: `--out/saved_model/sentiment/1/` (raw strings in, core
   TF ops only, so stock TF Serving runs it), plus `models.config` and
   `batching_parameters.txt` for `tensorflow_model_server`;
2. `export_tflite_bundle`: `--out/sentiment_tflite/`, the folder a mobile team
   ships: `model.tflite` (token ids in; LiteRT builtin ops only) with TFLite
   Metadata, `bundle.json`, `vocab.txt`, `labels.txt` and TF-free reference
   code, whose `Bundle.classify` is checked against Keras here;
3. `verify_export` on both: largest difference from Keras, size, ops, latency;
4. the kit's TF Serving-compatible REST server (`rnnkit serve`) on a free local
   port, and one `:predict` request to it, as `curl` would send it.

Usage:

    python examples/export_and_serve/train.py --out /tmp/export
    python examples/export_and_serve/train.py --tiny --out /tmp/export_tiny
    python examples/export_and_serve/train.py --model /tmp/sentiment/sentiment.keras \
        --out /tmp/export_imdb
"""

import json
import os
import socket
import threading
import time
import urllib.request

# isort: off
import keras_rnn_kit  # noqa: F401  (first: hides TF's native logs)
# isort: on
import keras
import numpy as np

from keras_rnn_kit.applications import train_application
from keras_rnn_kit.export import Bundle
from keras_rnn_kit.export import export_saved_model
from keras_rnn_kit.export import export_tflite_bundle
from keras_rnn_kit.export import serve
from keras_rnn_kit.export import verify_export
from keras_rnn_kit.utils.script_io import script_parser
from keras_rnn_kit.utils.script_io import write_json_files

REQUEST_TEXTS = ["The food was really good.", "The service was rude."]


def parse_args(argv=None):
    parser = script_parser(__doc__.split("\n\n")[0], out="export_out")
    parser.add_argument("--model", help="a SentimentClassifier .keras file; default: "
                        "train one on generated reviews")
    parser.add_argument("--quantization", default=None,
                        help="TFLite weights: none (float32), dynamic or float16")
    args = parser.parse_args(argv)
    args.quantization = None if args.quantization == "none" else args.quantization
    return args


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rest_predict(url, texts, timeout=60.0):
    """POSTs `{"instances": texts}` to `url`, retrying until the server is up."""
    body = json.dumps({"instances": texts}).encode("utf-8")
    deadline = time.monotonic() + timeout
    while True:
        try:
            request = urllib.request.Request(
                url, body, {"Content-Type": "application/json"}
            )
            with urllib.request.urlopen(request, timeout=30) as reply:
                return json.loads(reply.read())
        except (ConnectionError, urllib.error.URLError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def main(argv=None):
    args = parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    if args.model:
        model = keras.saving.load_model(args.model)
        print(f"loaded {args.model}")
    else:
        model = train_application(
            "sentiment", None, out=args.out, strategy=args.strategy,
            epochs=args.epochs, tiny=args.tiny, seed=args.seed, verbose=2,
        )["model"]

    print("1. SavedModel for TF Serving")
    base_dir = os.path.join(args.out, "saved_model", "sentiment")
    version_dir = export_saved_model(model, base_dir, overwrite=True, version=1)
    saved_report = verify_export(model, base_dir, np.array(REQUEST_TEXTS))

    print("2. TFLite bundle for LiteRT")
    bundle = export_tflite_bundle(
        model, os.path.join(args.out, "sentiment_tflite"), args.quantization,
        overwrite=True,
    )
    tflite_path = os.path.join(bundle, "model.tflite")
    token_ids = np.asarray(model.preprocessor(REQUEST_TEXTS)["token_ids"], "int32")
    tflite_report = verify_export(model, tflite_path, token_ids)
    _, bundle_probabilities = Bundle(bundle).classify(REQUEST_TEXTS)

    print("3. REST :predict against the SavedModel")
    port = free_port()
    threading.Thread(target=serve, args=(base_dir, port), daemon=True).start()
    url = f"http://127.0.0.1:{port}/v1/models/sentiment:predict"
    reply = rest_predict(url, REQUEST_TEXTS)
    print(f"POST {url} {json.dumps({'instances': REQUEST_TEXTS})}")
    print(f"-> {json.dumps(reply)}")
    served = np.array([p["probabilities"] for p in reply["predictions"]])
    keras_probabilities = model.predict_text(REQUEST_TEXTS).probabilities
    print(f"largest |REST - Keras| probability difference: "
          f"{np.max(np.abs(served - keras_probabilities)):.2e}")
    print(f"largest |TFLite bundle - Keras| probability difference: "
          f"{np.max(np.abs(bundle_probabilities - keras_probabilities)):.2e}")

    summary = {
        "saved_model": version_dir,
        "saved_model_passed": bool(saved_report["passed"]),
        "tflite": tflite_path,
        "tflite_passed": bool(tflite_report["passed"]),
        "tflite_size_bytes": int(tflite_report["size_bytes"]),
        "rest_request": REQUEST_TEXTS,
        "rest_reply": reply,
    }
    write_json_files(args.out, {"export.json": summary})
    print(f"wrote {version_dir}, {bundle}/ and export.json to {args.out}")


if __name__ == "__main__":
    main()
