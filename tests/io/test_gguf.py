"""GGUF: parsing, dequantization vs the `gguf` package, hostile files, and the real SmolLM2 file vs the reference."""

from __future__ import annotations

import struct

import numpy as np
import pytest
import torch

from embrace.errors import GGUFError
from embrace.io.gguf import GGML_TYPE_IDS, GGML_TYPES, GGUFFile, dequantize

SMOLLM2_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"


# --- dequantization vs the gguf package --------------------------------------------------


def _random_blocks(name: str, n_blocks: int, rng: np.random.Generator) -> np.ndarray:
    """Random raw blocks whose float16 scale fields are finite (random bytes may be inf/NaN)."""
    t = GGML_TYPES[GGML_TYPE_IDS[name]]
    raw = rng.integers(0, 256, (n_blocks, t.type_size), dtype=np.uint8)
    scale_offsets = {"Q2_K": (80, 82), "Q3_K": (108,), "Q4_K": (0, 2), "Q5_K": (0, 2), "Q6_K": (208,)}[name]
    for offset in scale_offsets:
        raw[:, offset : offset + 2] = rng.uniform(-2, 2, (n_blocks, 1)).astype(np.float16).view(np.uint8)
    return raw


@pytest.mark.parametrize("name", ["F16", "BF16", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K"])
def test_dequantize_matches_gguf_package(name):
    from gguf import GGMLQuantizationType
    from gguf.quants import dequantize as reference_dequantize
    from gguf.quants import quantize

    rng = np.random.default_rng(0)
    qtype = GGMLQuantizationType[name]
    shape = (3, 512)
    if name.endswith("_K"):
        raw = _random_blocks(name, 3 * 512 // 256, rng).reshape(3, -1)
    else:
        raw = quantize(rng.standard_normal(shape).astype(np.float32), qtype)
    expected = reference_dequantize(raw, qtype)
    ours = dequantize(torch.from_numpy(np.ascontiguousarray(raw).view(np.uint8).reshape(-1).copy()), name, shape)
    assert ours.shape == shape
    np.testing.assert_array_equal(ours.float().numpy(), expected.astype(np.float32))


def test_dequantize_rejects_wrong_sizes_and_types():
    with pytest.raises(GGUFError, match="bytes"):
        dequantize(torch.zeros(33, dtype=torch.uint8), "Q8_0", (32,))
    with pytest.raises(GGUFError, match="Unknown ggml type"):
        dequantize(torch.zeros(4, dtype=torch.uint8), "Q9_9", (1,))


# --- hand-built files ---------------------------------------------------------------------


def _string(text: str) -> bytes:
    raw = text.encode()
    return struct.pack("<Q", len(raw)) + raw


def _gguf_bytes(*, version: int = 3, tensor_count: int | None = None, dims=(8, 2), type_id: int = 0,
                offset: int = 0, data: bytes | None = None, kv_type: int = 8) -> bytes:
    """A small valid GGUF (one F32 tensor "w" and two metadata keys), with knobs to break it."""
    kv = _string("general.architecture") + struct.pack("<I", kv_type) + _string("llama")
    kv += _string("tokenizer.ggml.tokens") + struct.pack("<IIQ", 9, 8, 2) + _string("a") + _string("b")
    info = _string("w") + struct.pack("<I", len(dims)) + b"".join(struct.pack("<Q", d) for d in dims)
    info += struct.pack("<IQ", type_id, offset)
    count = 1 if tensor_count is None else tensor_count
    head = b"GGUF" + struct.pack("<IQQ", version, count, 2) + kv + info
    head += b"\0" * (-len(head) % 32)
    if data is None:
        data = np.arange(16, dtype=np.float32).tobytes()
    return head + data


def _write(tmp_path, payload: bytes, name: str = "x.gguf"):
    path = tmp_path / name
    path.write_bytes(payload)
    return path


def test_hand_built_file_parses(tmp_path):
    with GGUFFile(_write(tmp_path, _gguf_bytes())) as f:
        assert f.version == 3
        assert f.metadata == {"general.architecture": "llama", "tokenizer.ggml.tokens": ["a", "b"]}
        assert f.tensors["w"].shape == (2, 8)
        assert f.get_tensor("w").flatten().tolist() == list(range(16))


def test_reference_reader_agrees_on_hand_built_file(tmp_path):
    from gguf import GGUFReader

    path = _write(tmp_path, _gguf_bytes())
    reference = GGUFReader(path)
    with GGUFFile(path) as f:
        assert [t.name for t in reference.tensors] == list(f.tensors)
        np.testing.assert_array_equal(reference.tensors[0].data, f.get_tensor("w").numpy())


@pytest.mark.parametrize(
    "payload, message",
    [
        (b"", "empty"),
        (b"GGML" + bytes(40), "not a GGUF file"),
        (_gguf_bytes(version=1), "version 1"),
        (_gguf_bytes(version=3 << 24), "big-endian"),
        (_gguf_bytes()[:30], "truncated"),
        (_gguf_bytes(tensor_count=2**60), "tensor infos"),
        (_gguf_bytes(dims=(2**62, 2**62)), "impossible dimension"),
        (_gguf_bytes(dims=(8, 2, 1, 1, 1)), "dimensions"),
        (_gguf_bytes(offset=2**40), "truncated or corrupt"),
        (_gguf_bytes(offset=4), "truncated or corrupt"),  # misaligned
        (_gguf_bytes(type_id=99), "ggml type 99"),
        (_gguf_bytes(type_id=8, dims=(30, 1)), "block size"),
        (_gguf_bytes(kv_type=77), "unknown value type"),
        (_gguf_bytes(data=bytes(12)), "truncated or corrupt"),
    ],
    ids=["empty", "magic", "v1", "big-endian", "truncated", "tensor-count", "huge-dims", "too-many-dims",
         "offset", "misaligned", "tensor-type", "partial-block", "value-type", "short-data"],
)
def test_hostile_files_raise_gguf_error(tmp_path, payload, message):
    path = _write(tmp_path, payload)
    with pytest.raises(GGUFError, match=message):
        GGUFFile(path)
    path.unlink()  # the file was released: nothing keeps it open


def test_huge_string_and_array_lengths_do_not_allocate(tmp_path):
    good = _gguf_bytes()
    key_end = 4 + 4 + 16 + 8 + len("general.architecture") + 4
    huge_string = good[:key_end] + struct.pack("<Q", 2**62) + good[key_end + 8 :]
    with pytest.raises(GGUFError, match="truncated"):
        GGUFFile(_write(tmp_path, huge_string, "s.gguf"))
    marker = struct.pack("<IIQ", 9, 8, 2)
    at = good.index(marker)
    huge_array = good[:at] + struct.pack("<IIQ", 9, 8, 2**61) + good[at + len(marker) :]
    with pytest.raises(GGUFError, match="strings"):
        GGUFFile(_write(tmp_path, huge_array, "a.gguf"))


# --- the real SmolLM2 file vs the reference ------------------------------------------------


@pytest.fixture(scope="module")
def reference_smollm2(smollm2_gguf):
    from transformers import AutoModelForCausalLM

    return AutoModelForCausalLM.from_pretrained(smollm2_gguf.parent, gguf_file=SMOLLM2_NAME).eval()


@pytest.fixture(scope="module")
def our_smollm2(smollm2_gguf):
    import embrace

    model, info = embrace.AutoModelForCausalLM.from_pretrained(
        smollm2_gguf.parent, gguf_file=SMOLLM2_NAME, output_loading_info=True
    )
    assert not info["missing_keys"] and not info["unexpected_keys"]
    return model


def test_smollm2_config_matches_reference(smollm2_gguf, reference_smollm2):
    import embrace

    ours = embrace.AutoConfig.from_pretrained(smollm2_gguf.parent, gguf_file=SMOLLM2_NAME).to_dict()
    theirs = reference_smollm2.config.to_dict()
    # The reference's loaded model also records quantization_config={"quant_method": "gguf", ...}; embrace
    # dequantizes fully and keeps the config a plain one (see the module docs of embrace.io.gguf_mapping).
    for key in ("transformers_version", "_name_or_path", "dtype", "quantization_config"):
        ours.pop(key, None)
        theirs.pop(key, None)
    assert ours == theirs


def test_smollm2_tensors_match_reference(reference_smollm2, our_smollm2):
    assert type(our_smollm2).__name__ == "LlamaForCausalLM"
    assert our_smollm2.dtype == torch.float32
    theirs = reference_smollm2.state_dict()
    ours = our_smollm2.state_dict()
    assert set(ours) == set(theirs)
    for name, tensor in theirs.items():
        diff = (ours[name] - tensor).abs().max().item()
        assert diff <= 1e-6, f"{name}: {diff}"
    assert our_smollm2.lm_head.weight is our_smollm2.model.embed_tokens.weight


def test_smollm2_logits_match_reference(reference_smollm2, our_smollm2):
    prompt = torch.tensor([[1, 9690, 198, 2683, 314, 260, 3575, 282, 4649, 47, 2]])
    with torch.no_grad():
        ours = our_smollm2(prompt).logits
        theirs = reference_smollm2(prompt).logits
    assert (ours - theirs).abs().max().item() <= 1e-4
    assert ours[0, -1].argmax() == theirs[0, -1].argmax()


def test_smollm2_tokenizer_json_matches_reference_encoding(smollm2_gguf):
    import json

    from tokenizers import Tokenizer

    from embrace.io.gguf_mapping import gguf_tokenizer_json

    with GGUFFile(smollm2_gguf) as f:
        built = gguf_tokenizer_json(f.metadata)
    extra = built.pop("tokenizer_config")
    assert extra["bos_token"] == "<|im_start|>" and extra["eos_token"] == "<|im_end|>"
    assert extra["chat_template"].startswith("{% for message in messages %}")
    assert len(built["model"]["vocab"]) == 49152 and len(built["model"]["merges"]) == 48900
    tokenizer = Tokenizer.from_str(json.dumps(built))
    encoding = tokenizer.encode("<|im_start|>user\nWhat is the capital of France?<|im_end|>")
    assert encoding.ids[:3] == [1, 4093, 198]
    assert tokenizer.decode(encoding.ids, skip_special_tokens=True) == "user\nWhat is the capital of France?"


def test_gguf_file_for_another_family_is_refused(smollm2_gguf):
    import embrace
    from embrace.errors import CheckpointError

    config = embrace.Qwen2Config(hidden_size=576, num_attention_heads=9, num_key_value_heads=3, num_hidden_layers=1)
    with pytest.raises(CheckpointError, match="llama"):
        embrace.Qwen2ForCausalLM.from_pretrained(smollm2_gguf.parent, gguf_file=SMOLLM2_NAME, config=config)
