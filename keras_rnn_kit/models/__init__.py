"""keras_rnn_kit.models."""
