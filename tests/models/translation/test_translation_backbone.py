import numpy as np
import pytest

from keras_rnn_kit.models.translation import TranslationBackbone


def inputs(rng, source_length=5, pad_from=(5, 3, 1)):
    token_ids = rng.integers(4, 20, size=(3, source_length)).astype("int32")
    mask = np.arange(source_length)[None, :] < np.array(pad_from)[:, None]
    return {
        "token_ids": np.where(mask, token_ids, 0),
        "padding_mask": mask,
        "decoder_token_ids": rng.integers(2, 30, size=(3, 4)).astype("int32"),
    }


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"encoder_type": "stacked", "num_encoder_layers": 2, "attention": "luong_dot"},
        {"num_encoder_layers": 2, "encoder_cell": "original_lstm"},
    ],
)
def test_outputs_ignore_source_padding(rng, kwargs):
    backbone = TranslationBackbone(20, 30, embedding_dim=8, units=8, **kwargs)
    x = inputs(rng)
    padded = dict(x)
    padded["token_ids"] = np.pad(x["token_ids"], ((0, 0), (0, 3)), constant_values=7)
    padded["padding_mask"] = np.pad(x["padding_mask"], ((0, 0), (0, 3)))
    want, got = backbone(x), backbone(padded)
    assert got["sequence_output"].shape == (3, 4, 8)
    assert got["attention_weights"].shape == (3, 4, 8)
    np.testing.assert_allclose(
        got["sequence_output"], want["sequence_output"], atol=1e-5
    )
    np.testing.assert_allclose(
        got["attention_weights"][..., :5], want["attention_weights"], atol=1e-5
    )
    assert (np.asarray(got["attention_weights"])[..., 5:] == 0.0).all()


def test_bidirectional_memory_is_twice_as_wide(rng):
    backbone = TranslationBackbone(20, 30, embedding_dim=8, units=6)
    x = inputs(rng)
    memory, initial_state = backbone.encode_layers(x["token_ids"], x["padding_mask"])
    assert memory.shape == (3, 5, 12)
    assert [s.shape for s in initial_state] == [(3, 6), (3, 6)]


def test_config_round_trip():
    backbone = TranslationBackbone(
        20,
        30,
        embedding_dim=8,
        units=8,
        decoder_cell="vanilla",
        attention="luong_general",
    )
    clone = TranslationBackbone.from_config(backbone.get_config())
    assert clone.get_config() == backbone.get_config()
    assert clone.count_params() == backbone.count_params()


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"units": 0}, "units"),
        ({"encoder_type": "transformer"}, "encoder_type"),
        ({"decoder_cell": "gru"}, "decoder_cell"),
        ({"attention": "concat"}, "attention"),
        ({"dropout": 1.0}, "dropout"),
        ({"num_encoder_layers": 0}, "num_encoder_layers"),
        ({"attention": "luong_dot"}, "attention"),
    ],
)
def test_bad_arguments_name_the_argument(kwargs, name):
    with pytest.raises(ValueError, match=f"`{name}"):
        TranslationBackbone(20, 30, **kwargs)
