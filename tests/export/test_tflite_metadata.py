"""tflite_metadata: round trip, the layout read by independent paths, parity, errors."""

import copy
import io
import struct
import zipfile

import keras
import numpy as np
import pytest
from ai_edge_litert import schema_py_generated as schema
from ai_edge_litert.interpreter import Interpreter

from keras_rnn_kit.cells import LSTMCell
from keras_rnn_kit.export import export_tflite
from keras_rnn_kit.export.tflite_metadata import add_metadata
from keras_rnn_kit.export.tflite_metadata import read_metadata

LABELS = {"name": "labels.txt", "type": "TENSOR_AXIS_LABELS", "locale": "en"}
VOCABULARY = {"name": "vocab.txt", "description": "tokens", "type": "VOCABULARY"}
FILES = {"labels.txt": b"neg\npos\n", "vocab.txt": b"a\nb\n", "README": b"hello"}
# Numbers exact in float32: the schema stores `[float]`.
METADATA = {
    "name": "sequence classifier",
    "description": "LSTM over (time, 3) features",
    "version": "v1",
    "author": "kit",
    "license": "Apache-2.0",
    "associated_files": [{"name": "README", "type": "DESCRIPTIONS"}],
    "input_tensor_metadata": [
        {
            "name": "features",
            "description": "three features per step",
            "content": {"feature": {}},
            "normalization": {"mean": [0.5, 1.0, -2.0], "std": [1.0, 2.0, 0.25]},
            "stats": {"min": [-4.0], "max": [4.0, 8.0, 16.0]},
            "associated_files": [VOCABULARY],
        }
    ],
    "output_tensor_metadata": [
        {"name": "logits", "description": "two classes", "associated_files": [LABELS]}
    ],
}


@pytest.fixture(scope="module")
def plain(tmp_path_factory) -> bytes:
    """A tiny RNN(LSTMCell) -> Dense model exported without metadata."""
    keras.utils.set_random_seed(5)
    x = keras.Input((None, 3), name="x")
    h = keras.layers.RNN(LSTMCell(4), name="rnn")(x)
    model = keras.Model(x, keras.layers.Dense(2, name="logits")(h))
    path = export_tflite(model, str(tmp_path_factory.mktemp("meta") / "m.tflite"))
    with open(path, "rb") as f:
        return f.read()


@pytest.fixture(scope="module")
def described(plain) -> bytes:
    return add_metadata(plain, METADATA, FILES)


def _metadata_buffers(content: bytes) -> dict[str, bytes]:
    """`Model.metadata` entries, read with LiteRT's model schema only."""
    model = schema.Model.GetRootAs(content, 0)
    entries = (model.Metadata(i) for i in range(model.MetadataLength()))
    return {
        entry.Name().decode(): model.Buffers(entry.Buffer()).DataAsNumpy().tobytes()
        for entry in entries
    }


def test_round_trip_returns_what_was_written(plain, described):
    metadata, files = read_metadata(described)
    assert metadata.pop("min_parser_version") == "1.0.1"  # a VOCABULARY file
    assert metadata == METADATA
    assert files == FILES
    assert add_metadata(plain, METADATA, FILES) == described  # deterministic


def test_image_content_and_version_1_0_0_without_vocabulary(plain):
    image = {"image": {"color_space": "GRAYSCALE", "height": 8}}
    written = {
        "input_tensor_metadata": [{"name": "x", "content": image}],
        "output_tensor_metadata": [{}],
    }
    metadata, files = read_metadata(add_metadata(plain, written))
    assert metadata == {**written, "min_parser_version": "1.0.0"}
    assert files == {}


def test_metadata_buffer_and_archive_found_by_independent_readers(plain, described):
    before, after = _metadata_buffers(plain), _metadata_buffers(described)
    assert set(after) == set(before) | {"TFLITE_METADATA"}
    assert all(after[name] == data for name, data in before.items())
    assert after["TFLITE_METADATA"][4:8] == b"M001"
    with zipfile.ZipFile(io.BytesIO(described)) as archive:
        assert {i.filename: archive.read(i) for i in archive.infolist()} == FILES
        # The Task Library maps associated files in place: they must be stored.
        assert {i.compress_type for i in archive.infolist()} == {zipfile.ZIP_STORED}
    model, original = (schema.Model.GetRootAs(c, 0) for c in (described, plain))
    assert model.BuffersLength() == original.BuffersLength() + 1
    for i in range(original.BuffersLength()):
        assert np.array_equal(
            model.Buffers(i).DataAsNumpy(), original.Buffers(i).DataAsNumpy()
        )


def _field(buf: bytes, table: int, slot: int) -> int:
    """Absolute position of field `slot` of the table at `table` (0: not set)."""
    vtable = table - struct.unpack_from("<i", buf, table)[0]
    vtable_size = struct.unpack_from("<H", buf, vtable)[0]
    if 4 + 2 * slot >= vtable_size:
        return 0
    offset = struct.unpack_from("<H", buf, vtable + 4 + 2 * slot)[0]
    return table + offset if offset else 0


def _deref(buf: bytes, at: int) -> int:
    return at + struct.unpack_from("<I", buf, at)[0]


def _string(buf: bytes, at: int) -> str:
    start = _deref(buf, at)
    return buf[start + 4 : start + 4 + struct.unpack_from("<I", buf, start)[0]].decode()


def _element(buf: bytes, at: int, index: int) -> int:
    vector = _deref(buf, at)
    assert index < struct.unpack_from("<I", buf, vector)[0]
    return _deref(buf, vector + 4 + 4 * index)


def _floats(buf: bytes, at: int) -> list[float]:
    vector = _deref(buf, at)
    count = struct.unpack_from("<I", buf, vector)[0]
    return list(struct.unpack_from(f"<{count}f", buf, vector + 4))


def test_slots_follow_metadata_schema_fbs(described):
    """Decodes with `struct` only, slots counted by hand from the .fbs."""
    buf = _metadata_buffers(described)["TFLITE_METADATA"]
    root = struct.unpack_from("<I", buf, 0)[0]  # ModelMetadata
    assert _string(buf, _field(buf, root, 0)) == METADATA["name"]
    assert _string(buf, _field(buf, root, 2)) == METADATA["version"]
    assert _string(buf, _field(buf, root, 4)) == METADATA["author"]
    assert _string(buf, _field(buf, root, 5)) == METADATA["license"]
    assert _string(buf, _field(buf, root, 7)) == "1.0.1"  # min_parser_version
    readme = _element(buf, _field(buf, root, 6), 0)  # associated_files
    assert struct.unpack_from("<b", buf, _field(buf, readme, 2))[0] == 1  # DESCRIPTIONS
    subgraph = _element(buf, _field(buf, root, 3), 0)  # subgraph_metadata
    assert _field(buf, subgraph, 5) == 0  # no input_process_units (schema 1.1.0)
    tensor = _element(buf, _field(buf, subgraph, 2), 0)  # input_tensor_metadata
    assert _string(buf, _field(buf, tensor, 1)) == "three features per step"
    content = _deref(buf, _field(buf, tensor, 3))
    assert buf[_field(buf, content, 0)] == 1  # content_properties_type: Feature...
    unit = _element(buf, _field(buf, tensor, 4), 0)  # process_units
    assert buf[_field(buf, unit, 0)] == 1  # options_type: NormalizationOptions
    options = _deref(buf, _field(buf, unit, 1))
    assert _floats(buf, _field(buf, options, 1)) == [1.0, 2.0, 0.25]  # std
    stats = _deref(buf, _field(buf, tensor, 5))
    assert _floats(buf, _field(buf, stats, 0)) == [4.0, 8.0, 16.0]  # max comes first
    vocabulary = _element(buf, _field(buf, tensor, 6), 0)
    assert _string(buf, _field(buf, vocabulary, 1)) == "tokens"
    assert struct.unpack_from("<b", buf, _field(buf, vocabulary, 2))[0] == 5
    output = _element(buf, _field(buf, subgraph, 3), 0)  # output_tensor_metadata
    labels = _element(buf, _field(buf, output, 6), 0)
    assert _string(buf, _field(buf, labels, 0)) == "labels.txt"
    assert struct.unpack_from("<b", buf, _field(buf, labels, 2))[0] == 2
    assert _string(buf, _field(buf, labels, 3)) == "en"  # locale


def test_interpreter_outputs_are_identical(plain, described):
    rng = np.random.default_rng(0)
    runners = [
        Interpreter(model_content=c).get_signature_runner("serving_default")
        for c in (plain, described)
    ]
    for length in (5, 2):
        x = rng.normal(size=(1, length, 3)).astype("float32")
        want, got = (runner(x=x) for runner in runners)
        assert set(got) == set(want)
        for name in want:
            np.testing.assert_array_equal(got[name], want[name])


def test_overwrite_replaces_metadata_and_files(described):
    with pytest.raises(ValueError, match="already holds TFLITE_METADATA.*overwrite"):
        add_metadata(described, METADATA, FILES)
    written = {"name": "v2", "input_tensor_metadata": [{}]}
    written["output_tensor_metadata"] = [{"associated_files": [LABELS]}]
    content = add_metadata(described, written, {"labels.txt": b"x\n"}, overwrite=True)
    metadata, files = read_metadata(content)
    assert metadata == {**written, "min_parser_version": "1.0.0"}
    assert files == {"labels.txt": b"x\n"}
    model = schema.Model.GetRootAs(content, 0)
    names = [model.Metadata(i).Name() for i in range(model.MetadataLength())]
    assert names.count(b"TFLITE_METADATA") == 1


def _changed(edit) -> dict:
    metadata = copy.deepcopy(METADATA)
    edit(metadata)
    return metadata


@pytest.mark.parametrize(
    "metadata, files, match",
    [
        (
            _changed(lambda m: m["input_tensor_metadata"].append({})),
            FILES,
            r"metadata\['input_tensor_metadata'\]` must list one entry per input "
            r"of subgraph 0, in order: 1 \(\['serving_default_x:0'\]\); received 2",
        ),
        (
            _changed(lambda m: m.pop("output_tensor_metadata")),
            FILES,
            r"metadata\['output_tensor_metadata'\]`.* 1 .*received 0",
        ),
        (
            METADATA,
            {k: v for k, v in FILES.items() if k != "labels.txt"},
            r"`associated_files` must hold .*missing \['labels.txt'\]",
        ),
        (METADATA, {**FILES, "extra.csv": b""}, r"not named \['extra.csv'\]"),
        (
            _changed(lambda m: m["associated_files"][0].update(type="LABELS")),
            FILES,
            r"metadata\['associated_files'\]\[0\]\['type'\]` must be one of",
        ),
        (
            _changed(lambda m: m["input_tensor_metadata"][0].update(descripton="")),
            FILES,
            r"metadata\['input_tensor_metadata'\]\[0\]` has unknown key\(s\) "
            r"\['descripton'\]",
        ),
        (
            _changed(lambda m: m["input_tensor_metadata"][0]["normalization"].update(
                std=[1.0]
            )),
            FILES,
            r"'mean' and 'std' of one length, got \[3, 1\]",
        ),
    ],
)  # fmt: skip
def test_errors_name_the_argument(plain, metadata, files, match):
    with pytest.raises(ValueError, match=match):
        add_metadata(plain, metadata, files)


def test_errors_for_content_that_is_not_tflite_or_has_no_metadata(plain):
    with pytest.raises(ValueError, match="TFL3"):
        add_metadata(b"\x00" * 16, METADATA, FILES)
    with pytest.raises(ValueError, match="holds no TFLITE_METADATA"):
        read_metadata(plain)
