"""`python -m keras_rnn_kit ...` runs the `rnnkit` command line."""

from keras_rnn_kit.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
