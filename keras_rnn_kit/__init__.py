"""keras-rnn-kit: textbook recurrent networks as production Keras 3 software.

Importing the package registers every kit layer and model with Keras, so `.keras`
files that use them reload with `keras.saving.load_model(path)` alone.
"""

import os
import sys

from keras_rnn_kit import native_logs

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
if native_logs.launched_as_cli(sys.argv):
    native_logs.hide_native_logs()

from keras_rnn_kit import cells  # noqa: E402
from keras_rnn_kit import data  # noqa: E402
from keras_rnn_kit import diagnostics  # noqa: E402
from keras_rnn_kit import layers  # noqa: E402
from keras_rnn_kit import metrics  # noqa: E402
from keras_rnn_kit import models  # noqa: E402
from keras_rnn_kit import samplers  # noqa: E402
from keras_rnn_kit import training  # noqa: E402

__version__ = "0.1.0"

__all__ = [
    "__version__",
    "cells",
    "data",
    "diagnostics",
    "layers",
    "metrics",
    "models",
    "samplers",
    "training",
]
