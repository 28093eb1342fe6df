"""keras_rnn_kit.export: SavedModel (TF Serving) and TFLite/LiteRT export.

This folder installs as `keras_rnn_kit.export`; it imports `keras_rnn_kit`, never the
reverse.
"""
