"""write_text_atomically: the one writer behind config, tokenizer, dataset-state and cache files."""

from __future__ import annotations

from pathlib import Path

import pytest

from embrace.utils.files import write_text_atomically


def test_writes_text_exactly(tmp_path: Path) -> None:
    target = tmp_path / "config.json"
    write_text_atomically(target, "{\n  \"a\": \"é\"\n}\r\n")
    assert target.read_bytes() == "{\n  \"a\": \"é\"\n}\r\n".encode("utf-8")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.json"]


def test_failed_write_keeps_the_old_file_and_leaves_no_temp(tmp_path: Path, monkeypatch) -> None:
    target = tmp_path / "tokenizer.json"
    target.write_text("old")

    def refuse(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr("embrace.utils.files.os.replace", refuse)
    with pytest.raises(OSError, match="disk full"):
        write_text_atomically(target, "new")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["tokenizer.json"]
