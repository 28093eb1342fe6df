"""keras_rnn_kit.metrics."""
