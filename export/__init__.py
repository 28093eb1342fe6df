"""keras_rnn_kit.export: SavedModel (TF Serving) and TFLite/LiteRT export.

This folder installs as `keras_rnn_kit.export`; it imports `keras_rnn_kit`, never the
reverse. See export/README.md for the `docker run tensorflow/serving` command and
the REST/gRPC requests.

Entry points:

- `export_saved_model(model, base_dir)`: `base_dir/<version>/` with a
  `serving_default` signature, vocabularies as assets, a checked warmup file
  (`assets.extra/tf_serving_warmup_requests`), `models.config` and
  `batching_parameters.txt`; refuses graphs with non-core ops
  (`list_saved_model_ops`).
- `export_tflite(model, path, quantization=None)`: LiteRT builtin ops only,
  one or several signatures in one file (`list_tflite_ops`); `fuse_lstm=True`
  maps kit LSTM layers to the fused `UNIDIRECTIONAL_SEQUENCE_LSTM` op.
- `export_tflite_bundle(task, folder)`: an application's self-contained TFLite
  folder: `model.tflite` with TFLite Metadata, `bundle.json`, vocabulary and
  label files, and TF-free reference code (`bundle_runner.Bundle`, copied as
  `rnnkit_bundle.py`) that reproduces the task's inference calls.
- `verify_export(model, path, samples)`: parity, size, ops, latency.
- `rest_server.serve(model_dir, port)`: the TF Serving REST API on localhost.
- `predict_grpc(target, model_name, inputs)`: a TF Serving gRPC `Predict` call
  with `tensorflow-serving-api`, outputs as numpy arrays.
- `tflite_runner.TFLiteRunner`: numpy + ai_edge_litert only; runs signatures by
  name, greedy and beam decoding over an `encode`/`step` pair.

The export protocol (for application tasks)
-------------------------------------------
Any built functional model exports as is: its inputs become the signature inputs
(batch `None` for SavedModel, 1 for TFLite) and its outputs, named after
`model.output_names` (or the keys of a dict output), the signature outputs. A
task whose served inputs are raw (strings, bytes, images) rather than the
backbone's tensors implements one or both of these optional methods:

    class SentimentClassifier(keras.Model):
        def serving_signatures(self):
            '''Returns {name: tf.function}; must include "serving_default".'''
            @tf.function(input_signature=[
                tf.TensorSpec((None,), tf.string, name="text")])
            def serving_default(text):
                token_ids = self.preprocessor.tokenize(text)   # core TF ops only
                return {"probabilities": self(token_ids, training=False)}
            return {"serving_default": serving_default}

        def tflite_signatures(self):
            '''Returns {name: tf.function} with numeric inputs.'''
            @tf.function(input_signature=[
                tf.TensorSpec((1, None), tf.int32, name="token_ids")])
            def serving_default(token_ids):
                return {"probabilities": self(token_ids, training=False)}
            return {"serving_default": serving_default}

Rules: every function has an `input_signature` of *named* `tf.TensorSpec`s and
returns a dict of named tensors; it calls only layers the model owns (the
SavedModel exporter tracks `model`; the TFLite one replaces its variables by
constants and saves only the signatures, so no unused table is converted);
the SavedModel functions use core TensorFlow ops only (stock TF Serving has no
tensorflow-text kernels: split with `tf.strings`, look up with
`keras.layers.StringLookup`); TFLite functions take numbers and may leave the
time axis unknown; a recurrent loop needs a static batch (1, or an unknown batch
whose rows run at batch 1 through `tf.map_fn`). Generation tasks (translator,
captioner) return from `tflite_signatures()` an `encode` and a `step` function
following the contract documented in `tflite_runner`: `step` takes `token_ids`
`(1,)` plus recurrent states named after `encode`'s outputs, and returns
`logits` `(1, vocab)` plus the updated states under the same names. The
`signatures=` argument of either exporter overrides the methods.
"""

from keras_rnn_kit.export.bundle import export_tflite_bundle
from keras_rnn_kit.export.bundle_runner import Bundle
from keras_rnn_kit.export.errors import ExportError
from keras_rnn_kit.export.grpc_client import predict_grpc
from keras_rnn_kit.export.ops import list_saved_model_ops
from keras_rnn_kit.export.ops import list_tflite_ops
from keras_rnn_kit.export.rest_server import serve
from keras_rnn_kit.export.saved_model import export_saved_model
from keras_rnn_kit.export.tflite import QUANTIZATIONS
from keras_rnn_kit.export.tflite import export_tflite
from keras_rnn_kit.export.tflite_runner import TFLiteRunner
from keras_rnn_kit.export.verify import verify_export

__all__ = [
    "Bundle",
    "ExportError",
    "QUANTIZATIONS",
    "TFLiteRunner",
    "export_saved_model",
    "export_tflite",
    "export_tflite_bundle",
    "list_saved_model_ops",
    "list_tflite_ops",
    "predict_grpc",
    "serve",
    "verify_export",
]
