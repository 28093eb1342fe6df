"""keras_rnn_kit.layers."""
