"""keras_rnn_kit.diagnostics."""
