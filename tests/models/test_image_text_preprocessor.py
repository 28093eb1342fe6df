import numpy as np
import pytest

from keras_rnn_kit.models.captioning import CaptioningPreprocessor
from keras_rnn_kit.models.vqa import VQAPreprocessor
from tests.test_case import assert_config_round_trip


@pytest.mark.parametrize(
    "build, key",
    [
        (
            lambda: VQAPreprocessor.from_questions(["is it red?"], image_size=8),
            "questions",
        ),
        (
            lambda: CaptioningPreprocessor.from_captions(
                ["a red circle"], image_size=8
            ),
            "captions",
        ),
    ],
)
def test_subclasses_share_input_checks_and_config(build, key):
    pre = build()
    with pytest.raises(ValueError, match=f"keys 'images' and '{key}'"):
        pre({"images": np.zeros((1, 8, 8, 3), "uint8")})
    outputs = pre({"images": np.full((1, 4, 4, 3), 255, "uint8"), key: ["red"]})
    if isinstance(outputs, tuple):  # captioning: (inputs, targets, weights)
        outputs = outputs[0]
    assert outputs["images"].shape == (1, 8, 8, 3)  # resized to image_size
    np.testing.assert_allclose(outputs["images"], 1.0)  # uint8 scaled to [0, 1]
    clone = assert_config_round_trip(pre)
    assert clone.image_size == 8 and clone.text_key == key


def test_text_preprocessor_type_is_checked():
    with pytest.raises(
        TypeError, match="`text_preprocessor` must be a TextPreprocessor"
    ):
        VQAPreprocessor("not a preprocessor")
