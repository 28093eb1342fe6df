"""Fixtures of the training tests: one uninterrupted in-process reference run."""

import pytest

from tests.training import tiny_run


@pytest.fixture(scope="session")
def reference_run(tmp_path_factory):
    """`tiny_run` trained in this process on the default (single-device) strategy:
    `{"loss": [...], "weights": [...]}`, shared by the parity tests."""
    from keras_rnn_kit.training.trainer import train

    model, history = train(
        tiny_run.build_model,
        tiny_run.make_data(),
        epochs=3,
        global_batch_size=8,
        checkpoint_dir=str(tmp_path_factory.mktemp("reference")),
        **tiny_run.RUN_KWARGS,
    )
    return {"loss": history.history["loss"], "weights": model.get_weights()}
