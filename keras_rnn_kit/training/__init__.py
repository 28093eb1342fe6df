"""keras_rnn_kit.training."""
