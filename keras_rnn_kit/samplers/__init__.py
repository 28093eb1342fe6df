"""keras_rnn_kit.samplers."""
