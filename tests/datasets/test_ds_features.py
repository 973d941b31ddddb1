"""Features: JSON form, Arrow types, repr and encoding match the reference."""

from __future__ import annotations

import json

import pyarrow as pa
import pytest

from embrace.datasets import Array2D, ClassLabel, Features, LargeList, List, Sequence, Value


def _pair(ref):
    ours = Features(
        {
            "a": Sequence(Value("int32")),
            "b": List(Value("string")),
            "c": Sequence({"x": Value("int8")}),
            "e": ClassLabel(names=["n", "p"]),
            "g": {"h": Value("bool"), "t": Value("timestamp[us, tz=UTC]")},
            "i": LargeList(Value("int64")),
            "j": List(Value("float32"), length=3),
            "k": Value("decimal128(10, 2)"),
        }
    )
    theirs = ref.Features(
        {
            "a": ref.Sequence(ref.Value("int32")),
            "b": ref.List(ref.Value("string")),
            "c": ref.Sequence({"x": ref.Value("int8")}),
            "e": ref.ClassLabel(names=["n", "p"]),
            "g": {"h": ref.Value("bool"), "t": ref.Value("timestamp[us, tz=UTC]")},
            "i": ref.LargeList(ref.Value("int64")),
            "j": ref.List(ref.Value("float32"), length=3),
            "k": ref.Value("decimal128(10, 2)"),
        }
    )
    return ours, theirs


def test_json_form_repr_and_arrow_type_match_reference(ref):
    ours, theirs = _pair(ref)
    assert json.dumps(ours.to_dict()) == json.dumps(theirs.to_dict())
    assert repr(ours) == repr(theirs)
    assert ours.type == theirs.type
    assert ours.arrow_schema.metadata == theirs.arrow_schema.metadata
    assert repr(Features.from_dict(theirs.to_dict())) == repr(theirs)
    assert repr(ref.Features.from_dict(ours.to_dict())) == repr(ours)


def test_from_arrow_schema_reads_reference_metadata_and_infers_the_rest(ref):
    ours, theirs = _pair(ref)
    assert repr(Features.from_arrow_schema(theirs.arrow_schema)) == repr(theirs)
    plain = pa.schema({"x": pa.list_(pa.int16()), "y": pa.struct({"z": pa.string()}), "w": pa.large_list(pa.float64())})
    assert repr(Features.from_arrow_schema(plain)) == repr(ref.Features.from_arrow_schema(plain))


def test_flatten_and_reorder_match_reference(ref):
    ours, theirs = _pair(ref)
    assert repr(ours.flatten()) == repr(theirs.flatten())
    shuffled = Features({"b": Value("int8"), "a": {"y": Value("bool"), "x": Value("int8")}})
    target = Features({"a": {"x": Value("int8"), "y": Value("bool")}, "b": Value("int8")})
    assert list(shuffled.reorder_fields_as(target)) == ["a", "b"]
    assert list(shuffled.reorder_fields_as(target)["a"]) == ["x", "y"]
    with pytest.raises(ValueError, match="mismatch"):
        shuffled.reorder_fields_as(Features({"a": Value("int8"), "b": Value("int8")}))


def test_legacy_sequence_json_is_read_like_the_reference(ref):
    legacy = {"s": {"feature": {"dtype": "int32", "_type": "Value"}, "_type": "Sequence"},
              "d": {"feature": {"x": {"dtype": "string", "_type": "Value"}}, "_type": "Sequence"}}
    assert repr(Features.from_dict(legacy)) == repr(ref.Features.from_dict(legacy))


def test_class_label_conversions_and_errors(ref):
    ours, theirs = ClassLabel(names=["neg", "pos"]), ref.ClassLabel(names=["neg", "pos"])
    assert ours.str2int(["pos", "neg"]) == theirs.str2int(["pos", "neg"])
    assert ours.int2str([1, 0]) == theirs.int2str([1, 0])
    assert ClassLabel(num_classes=3).names == ref.ClassLabel(num_classes=3).names
    with pytest.raises(ValueError, match="Invalid string class label 'maybe'"):
        ours.str2int("maybe")
    with pytest.raises(ValueError, match="out of range"):
        ours.encode_example(5)
    with pytest.raises(ValueError, match="unique"):
        ClassLabel(names=["a", "a"])
    assert Features({"l": ours}).encode_example({"l": "pos"}) == {"l": 1}


def test_array2d_json_and_encoding(ref):
    ours = Features({"m": Array2D(shape=(2, 3), dtype="float32")})
    theirs = ref.Features({"m": ref.Array2D(shape=(2, 3), dtype="float32")})
    assert json.dumps(ours.to_dict()) == json.dumps(theirs.to_dict())
    assert repr(ours) == repr(theirs)
    with pytest.raises(ValueError, match="shape"):
        ours.encode_example({"m": [[1.0, 2.0]]})


def test_bad_dtype_is_a_clear_error():
    with pytest.raises(ValueError, match="Unknown dtype 'int65'"):
        Value("int65")
    with pytest.raises(KeyError, match="Unknown feature _type 'Nope'"):
        Features.from_dict({"a": {"_type": "Nope"}})
