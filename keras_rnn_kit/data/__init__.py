"""keras_rnn_kit.data."""
