"""from_pretrained / save_pretrained on bad input and edge cases, with a tiny in-test family.

Covers: where weights are looked for and the errors when they are not there, corrupt
files, interrupted and repeated saves, keyword handling, the hub cache, legacy key names,
tying rules at load time and the loading report.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import pytest
import torch
from torch import nn

from embrace.configuration import PretrainedConfig
from embrace.errors import CheckpointError, RemoteCodeError, SafetensorsError, UnknownKeyError
from embrace.modeling import saving
from embrace.modeling.loading import CheckpointMismatchError, match_checkpoint_keys
from embrace.modeling.modeling_utils import PreTrainedModel
from embrace.safetensors.torch import load_file, save_file


class TinyConfig(PretrainedConfig):
    model_type = "tiny-test"
    vocab_size: int = 11
    hidden_size: int = 6
    num_labels_extra: int = 0
    tie_word_embeddings: bool = True


class TinyPreTrained(PreTrainedModel):
    config_class = TinyConfig
    base_model_prefix = "tiny"


class TinyModel(TinyPreTrained):
    def __init__(self, config: TinyConfig) -> None:
        super().__init__(config)
        self.embed_tokens = nn.Embedding(config.vocab_size, config.hidden_size)
        self.LayerNorm = nn.LayerNorm(config.hidden_size)
        self.register_buffer("position_ids", torch.arange(4), persistent=False)
        self.post_init()

    def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
        return self.LayerNorm(self.embed_tokens(input_ids))


class TinyForLM(TinyPreTrained):
    _tied_weights_keys = {"lm_head.weight": "tiny.embed_tokens.weight"}
    _keys_to_ignore_on_load_unexpected = [r"ignored_extra"]

    def __init__(self, config: TinyConfig, *, head_bias: bool = False) -> None:
        super().__init__(config)
        self.tiny = TinyModel(config)
        self.lm_head = nn.Linear(config.hidden_size, config.vocab_size, bias=head_bias)
        self.post_init()

    def get_output_embeddings(self) -> nn.Module:
        return self.lm_head

    def set_output_embeddings(self, new_embeddings: nn.Module) -> None:
        self.lm_head = new_embeddings

    def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
        return self.lm_head(self.tiny(input_ids))


IDS = torch.tensor([[1, 2, 3, 4]])


@pytest.fixture
def saved(tmp_path: Path) -> tuple[TinyForLM, Path]:
    torch.manual_seed(0)
    model = TinyForLM(TinyConfig())
    folder = tmp_path / "tiny"
    model.save_pretrained(folder)
    return model, folder


# --- locating weights ---------------------------------------------------------------


def test_missing_weights_names_folder_and_files(tmp_path: Path) -> None:
    TinyConfig().save_pretrained(tmp_path)
    with pytest.raises(CheckpointError) as caught:
        TinyForLM.from_pretrained(tmp_path)
    message = str(caught.value)
    assert str(tmp_path) in message
    for name in ("model.safetensors", "model.safetensors.index.json", "pytorch_model.bin", "pytorch_model.bin.index.json"):
        assert name in message
    assert isinstance(caught.value, OSError)


def test_use_safetensors_true_ignores_bin(saved: tuple[TinyForLM, Path]) -> None:
    model, folder = saved
    model.save_pretrained(folder, safe_serialization=False)
    os.remove(folder / "model.safetensors")
    with pytest.raises(CheckpointError, match="use_safetensors=True"):
        TinyForLM.from_pretrained(folder, use_safetensors=True)
    loaded = TinyForLM.from_pretrained(folder, use_safetensors=False)
    assert torch.equal(loaded(IDS), model(IDS))


def test_safetensors_preferred_over_bin(saved: tuple[TinyForLM, Path]) -> None:
    model, folder = saved
    other = TinyForLM(TinyConfig())
    torch.save({k: v for k, v in other.state_dict().items() if k != "lm_head.weight"}, folder / "pytorch_model.bin")
    loaded = TinyForLM.from_pretrained(folder)
    assert torch.equal(loaded(IDS), model(IDS))


def test_single_weights_file_needs_config(saved: tuple[TinyForLM, Path]) -> None:
    model, folder = saved
    weights = folder / "model.safetensors"
    with pytest.raises(CheckpointError, match="config="):
        TinyForLM.from_pretrained(weights)
    loaded = TinyForLM.from_pretrained(weights, config=TinyConfig.from_pretrained(folder))
    assert torch.equal(loaded(IDS), model(IDS))
    loaded = TinyForLM.from_pretrained(weights, config=folder)
    assert torch.equal(loaded(IDS), model(IDS))


def test_subfolder_and_variant(tmp_path: Path) -> None:
    torch.manual_seed(1)
    model = TinyForLM(TinyConfig())
    model.save_pretrained(tmp_path / "sub", variant="fp16")
    assert (tmp_path / "sub" / "model.fp16.safetensors").is_file()
    loaded = TinyForLM.from_pretrained(tmp_path, subfolder="sub", variant="fp16")
    assert torch.equal(loaded(IDS), model(IDS))


@pytest.mark.parametrize("sharded", [False, True])
def test_repo_id_from_hub_cache(saved: tuple[TinyForLM, Path], tmp_path: Path, sharded: bool) -> None:
    """A repo id resolves through the hub cache layout (refs/main -> snapshots/<commit>)."""
    model, folder = saved
    if sharded:
        model.save_pretrained(folder, max_shard_size=100)
    commit = "a" * 40
    repo = tmp_path / "cache" / "models--org--tiny"
    snapshot = repo / "snapshots" / commit
    snapshot.mkdir(parents=True)
    (repo / "blobs").mkdir()
    for path in folder.iterdir():
        blob = repo / "blobs" / path.name.replace(".", "_")
        blob.write_bytes(path.read_bytes())
        (snapshot / path.name).symlink_to(os.path.relpath(blob, snapshot))
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(commit)
    loaded = TinyForLM.from_pretrained("org/tiny", cache_dir=tmp_path / "cache", local_files_only=True)
    assert torch.equal(loaded(IDS), model(IDS))
    assert loaded.name_or_path == "org/tiny"
    # the same repo without weights: a CheckpointError naming what was looked for
    for path in snapshot.glob("model*"):
        path.unlink()
    with pytest.raises(CheckpointError, match="model.safetensors"):
        TinyForLM.from_pretrained("org/tiny", cache_dir=tmp_path / "cache", local_files_only=True)


def test_sharded_index_with_missing_shard(saved: tuple[TinyForLM, Path]) -> None:
    model, folder = saved
    model.save_pretrained(folder, max_shard_size=100)
    shards = sorted(folder.glob("model-*.safetensors"))
    assert len(shards) > 1
    shards[-1].unlink()
    with pytest.raises(CheckpointError, match=shards[-1].name):
        TinyForLM.from_pretrained(folder)


# --- corrupt files --------------------------------------------------------------------


@pytest.mark.parametrize(
    "damage",
    [
        lambda raw: raw[: len(raw) // 2],  # truncated
        lambda raw: b"\xff" * 8 + raw[8:],  # absurd header length
        lambda raw: raw[:8] + b"[" + raw[9:],  # broken JSON header
        lambda raw: b"",  # empty file
    ],
    ids=["truncated", "header-length", "json", "empty"],
)
def test_corrupt_safetensors_raises_and_writes_nothing(saved: tuple[TinyForLM, Path], damage) -> None:
    _, folder = saved
    path = folder / "model.safetensors"
    path.write_bytes(damage(path.read_bytes()))
    before = sorted(p.name for p in folder.iterdir())
    with pytest.raises(SafetensorsError):
        TinyForLM.from_pretrained(folder)
    assert sorted(p.name for p in folder.iterdir()) == before


def test_corrupt_index_raises(saved: tuple[TinyForLM, Path]) -> None:
    model, folder = saved
    model.save_pretrained(folder, max_shard_size=100)
    (folder / "model.safetensors.index.json").write_text("{not json")
    with pytest.raises((CheckpointError, ValueError)):
        TinyForLM.from_pretrained(folder)


def test_bin_with_code_is_refused(saved: tuple[TinyForLM, Path]) -> None:
    """A pickle that needs more than tensors is refused (weights-only loading)."""
    from embrace.errors import UnsafeCheckpointError

    _, folder = saved
    os.remove(folder / "model.safetensors")

    torch.save({"x": torch.zeros(1), "evil": Path("/")}, folder / "pytorch_model.bin")
    with pytest.raises(UnsafeCheckpointError):
        TinyForLM.from_pretrained(folder)


# --- saving: atomicity and stale files -------------------------------------------------


def test_interrupted_save_leaves_no_half_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    torch.manual_seed(0)
    model = TinyForLM(TinyConfig())
    real_save = save_file

    def failing_save(tensors, filename, metadata=None):
        real_save(tensors, filename, metadata=metadata)
        with open(filename, "r+b") as handle:  # simulate a crash mid-write: half the bytes
            handle.truncate(os.path.getsize(filename) // 2)
        raise KeyboardInterrupt("simulated crash while writing")

    monkeypatch.setattr(saving, "_safetensors_writer", lambda: failing_save)
    with pytest.raises(KeyboardInterrupt):
        model.save_pretrained(tmp_path)
    assert list(tmp_path.iterdir()) == []

    # an earlier good save survives a failed one untouched
    monkeypatch.undo()
    model.save_pretrained(tmp_path)
    good = (tmp_path / "model.safetensors").read_bytes()
    other = TinyForLM(TinyConfig())
    monkeypatch.setattr(saving, "_safetensors_writer", lambda: failing_save)
    with pytest.raises(KeyboardInterrupt):
        other.save_pretrained(tmp_path, max_shard_size=100)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.json", "model.safetensors"]
    assert (tmp_path / "model.safetensors").read_bytes() == good


def test_resave_removes_stale_shards_and_files(tmp_path: Path) -> None:
    torch.manual_seed(0)
    model = TinyForLM(TinyConfig())
    model.save_pretrained(tmp_path, max_shard_size=100)
    sharded = sorted(p.name for p in tmp_path.iterdir())
    assert "model.safetensors.index.json" in sharded and len(sharded) > 3
    model.save_pretrained(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.json", "model.safetensors"]
    # and back: the lone file would shadow the shards on load, so it goes too
    model.save_pretrained(tmp_path, max_shard_size=100)
    assert sorted(p.name for p in tmp_path.iterdir()) == sharded
    # an unrelated file is never touched
    (tmp_path / "README.md").write_text("hi")
    model.save_pretrained(tmp_path, max_shard_size=150)
    assert (tmp_path / "README.md").read_text() == "hi"
    loaded = TinyForLM.from_pretrained(tmp_path)
    assert torch.equal(loaded(IDS), model(IDS))


def test_save_into_a_file_path_raises(tmp_path: Path) -> None:
    target = tmp_path / "file"
    target.write_text("x")
    with pytest.raises(CheckpointError, match="is a file"):
        TinyForLM(TinyConfig()).save_pretrained(target)


def test_save_rejects_unknown_kwargs(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="bogus"):
        TinyForLM(TinyConfig()).save_pretrained(tmp_path, bogus=1)


def test_save_writes_tied_weight_once_with_pt_metadata(saved: tuple[TinyForLM, Path]) -> None:
    _, folder = saved
    tensors = load_file(folder / "model.safetensors")
    assert "lm_head.weight" not in tensors and "tiny.embed_tokens.weight" in tensors
    from embrace.safetensors import safe_open

    with safe_open(folder / "model.safetensors", framework="pt") as handle:
        assert handle.metadata() == {"format": "pt"}
    config = json.loads((folder / "config.json").read_text())
    assert config["architectures"] == ["TinyForLM"] and config["dtype"] == "float32"


def test_save_state_dict_and_not_main_process(tmp_path: Path) -> None:
    model = TinyForLM(TinyConfig())
    model.save_pretrained(tmp_path / "no", is_main_process=False)
    assert not (tmp_path / "no" / "model.safetensors").exists()
    state = {k: v * 0 for k, v in model.state_dict().items()}
    model.save_pretrained(tmp_path / "zeros", state_dict=state)
    assert all(t.abs().sum() == 0 for t in load_file(tmp_path / "zeros" / "model.safetensors").values())


# --- keyword handling -------------------------------------------------------------------


def test_unknown_kwarg_raises_type_error(saved: tuple[TinyForLM, Path]) -> None:
    _, folder = saved
    with pytest.raises(TypeError, match="not_an_option"):
        TinyForLM.from_pretrained(folder, not_an_option=1)


def test_config_kwargs_override_and_init_kwargs_pass_through(saved: tuple[TinyForLM, Path]) -> None:
    _, folder = saved
    model, info = TinyForLM.from_pretrained(folder, output_hidden_states=True, head_bias=True, output_loading_info=True)
    assert model.config.output_hidden_states is True
    assert model.lm_head.bias is not None and info["missing_keys"] == {"lm_head.bias"}


def test_trust_remote_code_is_refused(saved: tuple[TinyForLM, Path]) -> None:
    _, folder = saved
    with pytest.raises(RemoteCodeError):
        TinyForLM.from_pretrained(folder, trust_remote_code=True)


@pytest.mark.parametrize("device_map", [None, "cpu", torch.device("cpu"), {"": "cpu"}, "auto" if not torch.cuda.is_available() else "cpu"])
def test_device_map_single_device(saved: tuple[TinyForLM, Path], device_map) -> None:
    _, folder = saved
    model = TinyForLM.from_pretrained(folder, device_map=device_map)
    assert model.device == torch.device("cpu")


@pytest.mark.parametrize("device_map", ["balanced", {"tiny": "cpu", "lm_head": "disk"}, "not-a-device"])
def test_device_map_unsupported(saved: tuple[TinyForLM, Path], device_map) -> None:
    _, folder = saved
    with pytest.raises(ValueError, match="device_map"):
        TinyForLM.from_pretrained(folder, device_map=device_map)


def test_attn_implementation_is_validated(saved: tuple[TinyForLM, Path]) -> None:
    _, folder = saved
    model = TinyForLM.from_pretrained(folder, attn_implementation="eager")
    assert model.config._attn_implementation == "eager"
    assert TinyForLM.from_pretrained(folder).config._attn_implementation == "sdpa"
    with pytest.raises(UnknownKeyError, match="eager") as caught:
        TinyForLM.from_pretrained(folder, attn_implementation="nope")
    assert "sdpa" in str(caught.value)


def test_obsolete_options_are_accepted(saved: tuple[TinyForLM, Path]) -> None:
    _, folder = saved
    TinyForLM.from_pretrained(folder, low_cpu_mem_usage=True, _fast_init=False)


def test_state_dict_source(saved: tuple[TinyForLM, Path]) -> None:
    model, folder = saved
    state = model.state_dict()
    loaded = TinyForLM.from_pretrained(None, config=TinyConfig(), state_dict=state)
    assert torch.equal(loaded(IDS), model(IDS))
    # the loaded model owns its weights: changing them leaves the source alone
    with torch.no_grad():
        loaded.tiny.embed_tokens.weight.add_(1)
    assert not torch.equal(loaded.tiny.embed_tokens.weight, state["tiny.embed_tokens.weight"])


# --- key handling -------------------------------------------------------------------------


def test_match_checkpoint_keys_prefix_both_ways() -> None:
    expected = {"tiny.embed_tokens.weight": 0, "lm_head.weight": 0}
    mapping, unexpected = match_checkpoint_keys(["embed_tokens.weight", "junk"], expected, "tiny")
    assert mapping == {"tiny.embed_tokens.weight": "embed_tokens.weight"} and unexpected == ["junk"]
    mapping, _ = match_checkpoint_keys(["tiny.embed_tokens.weight"], {"embed_tokens.weight": 0}, "tiny")
    assert mapping == {"embed_tokens.weight": "tiny.embed_tokens.weight"}


def test_legacy_gamma_beta_names_load(tmp_path: Path) -> None:
    torch.manual_seed(0)
    model = TinyModel(TinyConfig())
    state = {k.replace("LayerNorm.weight", "LayerNorm.gamma").replace("LayerNorm.bias", "LayerNorm.beta"): v for k, v in model.state_dict().items()}
    assert "LayerNorm.gamma" in state
    with torch.no_grad():
        state["LayerNorm.gamma"] = torch.rand(6)
    save_file(state, str(tmp_path / "model.safetensors"))
    TinyConfig().save_pretrained(tmp_path)
    loaded, info = TinyModel.from_pretrained(tmp_path, output_loading_info=True)
    assert info["missing_keys"] == set() and info["unexpected_keys"] == set()
    assert torch.equal(loaded.LayerNorm.weight, state["LayerNorm.gamma"])


def test_unexpected_and_ignored_keys(saved: tuple[TinyForLM, Path]) -> None:
    model, folder = saved
    state = load_file(folder / "model.safetensors")
    state["something.new"] = torch.zeros(2)
    state["ignored_extra"] = torch.zeros(2)
    state["tiny.position_ids"] = torch.arange(4)  # old checkpoints stored it; silently dropped
    save_file(state, str(folder / "model.safetensors"))
    loaded, info = TinyForLM.from_pretrained(folder, output_loading_info=True)
    assert info["unexpected_keys"] == {"something.new"}
    assert torch.equal(loaded.tiny.position_ids, torch.arange(4))


def test_loading_report_is_logged(saved: tuple[TinyForLM, Path], caplog: pytest.LogCaptureFixture) -> None:
    _, folder = saved
    state = load_file(folder / "model.safetensors")
    state["extra.0.w"] = torch.zeros(1)
    state["extra.1.w"] = torch.zeros(1)
    del state["tiny.LayerNorm.bias"]
    save_file(state, str(folder / "model.safetensors"))
    with caplog.at_level(logging.WARNING, logger="embrace.modeling.modeling_utils"):
        TinyForLM.from_pretrained(folder)
    text = caplog.text
    assert "TinyForLM LOAD REPORT from:" in text
    assert "extra.{0, 1}.w" in text and "UNEXPECTED" in text
    assert "tiny.LayerNorm.bias" in text and "MISSING" in text


def test_missing_weights_are_initialised_loaded_ones_kept(saved: tuple[TinyForLM, Path]) -> None:
    model, folder = saved
    state = load_file(folder / "model.safetensors")
    del state["tiny.LayerNorm.weight"]
    state["tiny.LayerNorm.bias"] = torch.full((6,), 3.0)
    save_file(state, str(folder / "model.safetensors"))
    loaded, info = TinyForLM.from_pretrained(folder, output_loading_info=True)
    assert info["missing_keys"] == {"tiny.LayerNorm.weight"}
    assert torch.equal(loaded.tiny.LayerNorm.weight, torch.ones(6))  # default init of a norm
    assert torch.equal(loaded.tiny.LayerNorm.bias, torch.full((6,), 3.0))  # not re-initialised
    assert not any(p.device.type == "meta" for p in loaded.parameters())


def test_size_mismatch(saved: tuple[TinyForLM, Path]) -> None:
    _, folder = saved
    with pytest.raises(CheckpointMismatchError, match="ignore_mismatched_sizes=True") as caught:
        TinyForLM.from_pretrained(folder, vocab_size=13)
    assert isinstance(caught.value, RuntimeError)
    model, info = TinyForLM.from_pretrained(folder, vocab_size=13, ignore_mismatched_sizes=True, output_loading_info=True)
    assert info["mismatched_keys"] == {("tiny.embed_tokens.weight", torch.Size([11, 6]), torch.Size([13, 6]))}
    assert model.tiny.embed_tokens.weight.shape == (13, 6)
    assert model.lm_head.weight is model.tiny.embed_tokens.weight


def test_tied_target_only_in_checkpoint_feeds_source(saved: tuple[TinyForLM, Path]) -> None:
    """Tying is symmetric on load: a checkpoint holding only the tied copy fills both."""
    model, folder = saved
    state = load_file(folder / "model.safetensors")
    state["lm_head.weight"] = state.pop("tiny.embed_tokens.weight")
    save_file(state, str(folder / "model.safetensors"))
    loaded, info = TinyForLM.from_pretrained(folder, output_loading_info=True)
    assert info["missing_keys"] == set()
    assert loaded.lm_head.weight is loaded.tiny.embed_tokens.weight
    assert torch.equal(loaded(IDS), model(IDS))


def test_tied_pair_with_different_values_is_not_tied(saved: tuple[TinyForLM, Path], caplog) -> None:
    _, folder = saved
    state = load_file(folder / "model.safetensors")
    state["lm_head.weight"] = torch.zeros_like(state["tiny.embed_tokens.weight"])
    save_file(state, str(folder / "model.safetensors"))
    with caplog.at_level(logging.WARNING, logger="embrace.modeling.modeling_utils"):
        loaded = TinyForLM.from_pretrained(folder)
    assert "NOT tie" in caplog.text
    assert loaded.lm_head.weight is not loaded.tiny.embed_tokens.weight
    assert loaded.lm_head.weight.abs().sum() == 0


def test_untied_config_loads_separate_head(saved: tuple[TinyForLM, Path]) -> None:
    _, folder = saved
    model, info = TinyForLM.from_pretrained(folder, tie_word_embeddings=False, output_loading_info=True)
    assert info["missing_keys"] == {"lm_head.weight"}
    assert model.lm_head.weight is not model.tiny.embed_tokens.weight


def test_loaded_model_is_in_eval_mode_and_dtype_recorded(saved: tuple[TinyForLM, Path]) -> None:
    _, folder = saved
    model = TinyForLM.from_pretrained(folder, dtype="bfloat16")
    assert not model.training
    assert model.dtype == torch.bfloat16 and model.config.dtype == torch.bfloat16
    assert model.tiny.position_ids.dtype == torch.int64
    model = TinyForLM.from_pretrained(folder, torch_dtype=torch.float16)
    assert model.dtype == torch.float16
    with pytest.raises(ValueError, match="dtype"):
        TinyForLM.from_pretrained(folder, dtype="int8")


def test_save_over_the_folder_the_model_was_loaded_from(saved: tuple[TinyForLM, Path]) -> None:
    """Loaded weights map the file; saving replaces it atomically, so both stay valid."""
    model, folder = saved
    first = TinyForLM.from_pretrained(folder)
    expected = first(IDS).detach().clone()
    second = TinyForLM.from_pretrained(folder)
    with torch.no_grad():
        second.tiny.LayerNorm.bias.add_(1.0)
    second.save_pretrained(folder)
    torch.testing.assert_close(first(IDS), expected)  # still reads the old, replaced file
    reloaded = TinyForLM.from_pretrained(folder)
    torch.testing.assert_close(reloaded(IDS), second(IDS))
    assert not torch.equal(reloaded.tiny.LayerNorm.bias, first.tiny.LayerNorm.bias)
