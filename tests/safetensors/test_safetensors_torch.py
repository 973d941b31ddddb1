"""embrace.safetensors.torch against the reference safetensors.torch: bytes, interop, API."""

from __future__ import annotations

import threading

import psutil
import pytest
import safetensors
import safetensors.torch as ref
import torch

from embrace.errors import SafetensorsError, StateDictError
from embrace.safetensors import safe_open
from embrace.safetensors import torch as ours

ALL_DTYPES = [
    torch.bool,
    torch.uint8,
    torch.int8,
    torch.int16,
    torch.uint16,
    torch.int32,
    torch.uint32,
    torch.int64,
    torch.uint64,
    torch.float16,
    torch.bfloat16,
    torch.float32,
    torch.float64,
    torch.complex64,
    torch.float8_e4m3fn,
    torch.float8_e5m2,
    torch.float8_e4m3fnuz,
    torch.float8_e5m2fnuz,
    torch.float8_e8m0fnu,
    torch.float4_e2m1fn_x2,
]


def random_tensor(dtype: torch.dtype, shape: tuple[int, ...], seed: int) -> torch.Tensor:
    """Random bit patterns of ``dtype`` (0/1 for bool), so every byte value round-trips."""
    generator = torch.Generator().manual_seed(seed)
    count = 1
    for dim in shape:
        count *= dim
    high = 2 if dtype == torch.bool else 256
    raw = torch.randint(0, high, (count * dtype.itemsize,), dtype=torch.uint8, generator=generator)
    return raw.view(dtype).reshape(shape)


def all_dtype_tensors() -> dict[str, torch.Tensor]:
    tensors = {}
    for index, dtype in enumerate(ALL_DTYPES):
        name = str(dtype).split(".")[-1]
        tensors[f"{name}.matrix"] = random_tensor(dtype, (3, 4), index)
        if dtype != torch.float4_e2m1fn_x2:  # a 0-d F4 pair has no axis to count its 2 values
            tensors[f"{name}.scalar"] = random_tensor(dtype, (), 100 + index)
        tensors[f"{name}.empty"] = random_tensor(dtype, (0, 2), 200 + index)
    return tensors


def assert_same(actual: dict[str, torch.Tensor], expected: dict[str, torch.Tensor]) -> None:
    """Same names, dtypes, shapes and bit patterns (NaN payloads included)."""
    assert sorted(actual) == sorted(expected)
    for name, tensor in expected.items():
        got = actual[name]
        assert got.dtype == tensor.dtype, name
        assert got.shape == tensor.shape, name
        assert torch.equal(got.reshape(-1).view(torch.uint8), tensor.reshape(-1).view(torch.uint8)), name


# --- same bytes ----------------------------------------------------------------------


@pytest.mark.parametrize("metadata", [None, {}, {"format": "pt"}])
def test_save_writes_the_reference_bytes_for_every_dtype(metadata) -> None:
    tensors = all_dtype_tensors()
    assert ours.save(tensors, metadata=metadata) == ref.save(tensors, metadata=metadata)


def test_save_file_writes_the_reference_bytes(tmp_path) -> None:
    tensors = all_dtype_tensors()
    ours.save_file(tensors, tmp_path / "ours.safetensors", metadata={"format": "pt"})
    ref.save_file(tensors, str(tmp_path / "ref.safetensors"), metadata={"format": "pt"})
    assert (tmp_path / "ours.safetensors").read_bytes() == (tmp_path / "ref.safetensors").read_bytes()


def test_names_are_escaped_and_ordered_like_the_reference() -> None:
    names = ["b", "B", "a10", "a9", "é", "\n\"\\/\x01\x7f\x1f\x08\x0c\t\r", "\u2028", "😀", "", "__metadata__x"]
    tensors = {name: torch.full((1,), float(i)) for i, name in enumerate(names)}
    tensors["wide"] = torch.zeros(2, dtype=torch.float64)
    metadata = {"k": "\u2028 😀 <>&' \x00"}
    assert ours.save(tensors, metadata=metadata) == ref.save(tensors, metadata=metadata)


def test_several_metadata_keys_are_written_in_sorted_order() -> None:
    # The reference orders several metadata keys at random (a hash map); embrace sorts them
    # so equal inputs give equal files. The decoded headers agree.
    tensors = {"x": torch.ones(2)}
    forward = {f"k{i}": str(i) for i in range(8)}
    backward = dict(reversed(list(forward.items())))
    ours_bytes = ours.save(tensors, metadata=forward)
    assert ours_bytes == ours.save(tensors, metadata=backward)
    assert b'"__metadata__":{"k0":"0","k1":"1",' in ours_bytes
    with_reference = ref.save(tensors, metadata=forward)
    assert len(ours_bytes) == len(with_reference)
    assert ref.load(ours_bytes).keys() == ref.load(with_reference).keys()
    assert ours.load(with_reference)["x"].equal(torch.ones(2))


# --- interop -------------------------------------------------------------------------


def test_reference_loads_our_files(tmp_path) -> None:
    tensors = all_dtype_tensors()
    path = str(tmp_path / "ours.safetensors")
    ours.save_file(tensors, path, metadata={"format": "pt", "note": "é"})
    assert_same(ref.load_file(path), tensors)
    with safetensors.safe_open(path, framework="pt") as handle:
        assert handle.metadata() == {"format": "pt", "note": "é"}


def test_we_load_reference_files(tmp_path) -> None:
    tensors = all_dtype_tensors()
    path = str(tmp_path / "ref.safetensors")
    ref.save_file(tensors, path, metadata={"format": "pt"})
    assert_same(ours.load_file(path), tensors)
    with safe_open(path, framework="pt") as handle, safetensors.safe_open(path, framework="pt") as expected:
        assert handle.keys() == expected.keys()
        assert handle.offset_keys() == expected.offset_keys()
        assert handle.metadata() == expected.metadata()
        for name in expected.keys():
            assert handle.get_slice(name).get_shape() == expected.get_slice(name).get_shape()
            assert handle.get_slice(name).get_dtype() == expected.get_slice(name).get_dtype()
        assert_same(handle.get_tensors(), expected.get_tensors())


def test_load_from_bytes_matches_and_is_writable() -> None:
    tensors = all_dtype_tensors()
    data = ref.save(tensors)
    loaded = ours.load(data)
    assert_same(loaded, tensors)
    loaded["float32.matrix"].fill_(7.0)  # independent of data and of other loads
    assert_same(ours.load(data), tensors)
    assert_same(ours.load(bytearray(data)), tensors)


def test_load_file_pread_backend_matches_mmap(tmp_path) -> None:
    tensors = all_dtype_tensors()
    path = str(tmp_path / "m.safetensors")
    ours.save_file(tensors, path)
    assert_same(ours.load_file(path, backend="pread"), tensors)


# --- safe_open -----------------------------------------------------------------------

SLICES = [
    (slice(None),),
    (0,),
    (-1,),
    (slice(1, None),),
    (slice(None), 1),
    (Ellipsis, 1),
    (0, Ellipsis, 1),
    (slice(None), slice(None, None, 2)),
    (slice(None), slice(None), slice(None, None, 3)),
    (slice(None), slice(1, 2), slice(None, None, -1)),
    (5,),
    (-3,),
    (slice(0, 10),),
    (slice(10, 20),),
    (slice(None), slice(None), slice(None), slice(None)),
    (None,),
    (Ellipsis,),
    (Ellipsis, Ellipsis),
    (),
    (1, 2, 3),
    (slice(2, 1),),
    (slice(-10, None),),
    (slice(None), -4),
    (slice(None), slice(None, None, 0)),
    (slice(None), slice(None), slice(-2, None)),
    (1.0,),
]


@pytest.fixture()
def sample_file(tmp_path) -> str:
    path = str(tmp_path / "sample.safetensors")
    tensors = {
        "b": torch.arange(24, dtype=torch.float32).reshape(2, 3, 4),
        "a": torch.arange(5, dtype=torch.int64),
        "c": torch.zeros(0, 3),
        "s": torch.tensor(3.0),
        "h": torch.ones(2, dtype=torch.bfloat16),
    }
    ref.save_file(tensors, path, metadata={"format": "pt"})
    return path


def outcome(function):
    try:
        return function()
    except Exception as error:  # the reference's exception types are the spec here
        return type(error)


@pytest.mark.parametrize("index", SLICES, ids=[repr(s) for s in SLICES])
def test_get_slice_indexes_like_the_reference(sample_file: str, index: tuple) -> None:
    with safe_open(sample_file, framework="pt") as handle, safetensors.safe_open(sample_file, framework="pt") as expected:
        got = outcome(lambda: handle.get_slice("b")[index])
        want = outcome(lambda: expected.get_slice("b")[index])
    if isinstance(want, torch.Tensor):
        assert isinstance(got, torch.Tensor) and got.shape == want.shape and torch.equal(got, want)
    else:
        assert got is want


def test_safe_open_reports_keys_metadata_and_scalar_and_empty_slices(sample_file: str) -> None:
    with safe_open(sample_file, framework="pt") as handle:
        assert handle.keys() == ["a", "b", "c", "h", "s"]
        assert handle.metadata() == {"format": "pt"}
        assert handle.get_slice("s")[...].equal(torch.tensor(3.0))
        assert handle.get_slice("c")[0:0].shape == (0, 3)
        with pytest.raises(IndexError):
            handle.get_slice("s")[:]


def test_closed_handle_refuses_reads_but_slices_and_tensors_survive(sample_file: str) -> None:
    with safe_open(sample_file, framework="pt") as handle:
        tensor = handle.get_tensor("b")
        part = handle.get_slice("b")
    for method, args in [("keys", ()), ("offset_keys", ()), ("metadata", ()), ("get_tensor", ("a",)), ("get_tensors", ())]:
        with pytest.raises(SafetensorsError, match="closed"):
            getattr(handle, method)(*args)
    assert tensor.sum().item() == sum(range(24))
    assert part[1, 2].tolist() == [20.0, 21.0, 22.0, 23.0]


def test_missing_tensor_names_close_matches(sample_file: str) -> None:
    with safe_open(sample_file, framework="pt") as handle:
        with pytest.raises(SafetensorsError, match="does not contain tensor 'bb'.*Did you mean 'b'"):
            handle.get_tensor("bb")
        with pytest.raises(SafetensorsError, match="does not contain tensor 'zz'"):
            handle.get_slice("zz")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"framework": "foo"}, "framework 'foo' is invalid"),
        ({"framework": "PT"}, "framework 'PT' is invalid"),
        ({"framework": "tf"}, "not supported by embrace"),
        ({"framework": "pt", "device": "meta"}, "device 'meta' is invalid"),
        ({"framework": "pt", "device": "foo"}, "device 'foo' is invalid"),
        ({"framework": "pt", "device": -1}, "device -1 is invalid"),
        ({"framework": "np", "device": "cuda"}, "invalid for framework 'np'"),
        ({"framework": "pt", "backend": "foo"}, "backend 'foo' is invalid"),
    ],
)
def test_bad_arguments_are_refused(sample_file: str, kwargs: dict, message: str) -> None:
    with pytest.raises(SafetensorsError, match=message):
        safe_open(sample_file, **kwargs)


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message of a machine without CUDA")
def test_an_unavailable_accelerator_is_refused_at_open(sample_file: str) -> None:
    with pytest.raises(SafetensorsError, match="not available"):
        safe_open(sample_file, framework="pt", device="cuda:0")
    with pytest.raises(SafetensorsError, match="not available"):
        ours.load_file(sample_file, device=0)


def test_missing_file_and_directory_raise_os_errors(tmp_path) -> None:
    with pytest.raises(FileNotFoundError):
        safe_open(str(tmp_path / "missing.safetensors"), framework="pt")
    with pytest.raises(OSError):
        ours.load_file(tmp_path)


def test_tensors_are_zero_copy_private_views_of_the_file(sample_file: str) -> None:
    before = open(sample_file, "rb").read()
    with safe_open(sample_file, framework="pt") as handle:
        first, second = handle.get_tensor("b"), handle.get_tensor("b")
        assert first.data_ptr() == second.data_ptr()  # both view the same mapped bytes
        first[0, 0, 0] = 100.0  # copy-on-write: visible through this handle only
        assert handle.get_tensor("b")[0, 0, 0].item() == 100.0
    assert open(sample_file, "rb").read() == before
    assert ours.load_file(sample_file)["b"][0, 0, 0].item() == 0.0
    with safe_open(sample_file, framework="pt", backend="pread") as handle:
        copy = handle.get_tensor("b")
        copy[0, 0, 0] = 5.0
        assert handle.get_tensor("b")[0, 0, 0].item() == 0.0  # pread gives fresh memory each time


def test_load_file_does_not_read_the_data_into_memory(tmp_path) -> None:
    path = str(tmp_path / "big.safetensors")
    ours.save_file({f"w{i}": torch.ones(1024, 1024) for i in range(16)}, path)  # 64 MB
    process = psutil.Process()
    before = process.memory_info().rss
    loaded = ours.load_file(path)
    grown = process.memory_info().rss - before
    assert len(loaded) == 16 and grown < 16 * 2**20
    assert loaded["w3"][1023, 1023].item() == 1.0


def test_unaligned_data_is_copied_to_aligned_memory(tmp_path) -> None:
    import json
    import struct

    header = json.dumps(
        {"a": {"dtype": "U8", "shape": [3], "data_offsets": [0, 3]}, "b": {"dtype": "F32", "shape": [2], "data_offsets": [3, 11]}}
    ).encode()
    header += b" " * (-len(header) % 8)
    path = tmp_path / "unaligned.safetensors"
    path.write_bytes(struct.pack("<Q", len(header)) + header + b"\x01\x02\x03" + struct.pack("<2f", 1.5, 2.5))
    loaded = ours.load_file(str(path))
    assert loaded["b"].tolist() == [1.5, 2.5] and loaded["b"].data_ptr() % 4 == 0
    assert loaded["a"].tolist() == [1, 2, 3]


def _raw_file(tmp_path, dtype: str, shape: list[int], nbytes: int):
    import json
    import struct

    header = json.dumps({"x": {"dtype": dtype, "shape": shape, "data_offsets": [0, nbytes]}}).encode()
    path = tmp_path / f"{dtype}.safetensors"
    path.write_bytes(struct.pack("<Q", len(header)) + header + b"\x11" * nbytes)
    return str(path)


def test_f4_needs_an_even_last_dimension_in_torch(tmp_path) -> None:
    path = _raw_file(tmp_path, "F4", [2, 3], 3)
    with safe_open(path, framework="pt") as handle:
        assert handle.get_slice("x").get_shape() == [2, 3]
        with pytest.raises(SafetensorsError, match="last dimension must be even"):
            handle.get_tensor("x")
    with safetensors.safe_open(path, framework="pt") as expected, pytest.raises(safetensors.SafetensorError):
        expected.get_tensor("x")


def test_f6_has_no_torch_dtype(tmp_path) -> None:
    path = _raw_file(tmp_path, "F6_E2M3", [4], 3)
    with safe_open(path, framework="pt") as handle:
        assert handle.get_slice("x").get_dtype() == "F6_E2M3"
        with pytest.raises(SafetensorsError, match="dtype F6_E2M3 has no torch equivalent"):
            handle.get_tensor("x")


# --- saving: refusals ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("tensors", "metadata", "error", "message"),
    [
        ({"x": torch.zeros(3, 4).t()}, None, SafetensorsError, "not contiguous"),
        ({"x": torch.zeros(1).expand(3)}, None, SafetensorsError, "not contiguous"),
        ({"x": torch.zeros(2).to_sparse()}, None, SafetensorsError, "sparse"),
        ({"x": torch.zeros(2, device="meta")}, None, SafetensorsError, "meta device"),
        ({"x": 1}, None, SafetensorsError, "must be a torch.Tensor, got int"),
        ([torch.zeros(1)], None, SafetensorsError, "Expected a dict"),
        ({1: torch.zeros(1)}, None, TypeError, "names must be str"),
        ({"x": torch.zeros(1)}, {"a": 1}, TypeError, "metadata must map str -> str"),
        ({"x": torch.zeros(1)}, [("a", "b")], TypeError, "metadata must be a dict"),
        ({"__metadata__": torch.zeros(1)}, None, SafetensorsError, "cannot be named '__metadata__'"),
        ({"x": torch.zeros(2, dtype=torch.complex128)}, None, SafetensorsError, "complex128"),
        ({"x": torch.zeros((), dtype=torch.uint8).view(torch.float4_e2m1fn_x2)}, None, SafetensorsError, "0-d"),
        ({"\ud800": torch.zeros(1)}, None, SafetensorsError, "not valid Unicode"),
    ],
)
def test_invalid_saves_are_refused_and_write_nothing(tmp_path, tensors, metadata, error, message) -> None:
    with pytest.raises(error, match=message):
        ours.save(tensors, metadata=metadata)
    with pytest.raises(error, match=message):
        ours.save_file(tensors, tmp_path / "out.safetensors", metadata=metadata)
    assert list(tmp_path.iterdir()) == []


def test_shared_tensors_are_refused_like_the_reference() -> None:
    base = torch.zeros(4)
    for tensors in ({"x": base, "y": base}, {"x": base, "y": base.view(2, 2)}, {"x": base[:3], "y": base[2:]}):
        with pytest.raises(RuntimeError):
            ref.save(tensors)
        with pytest.raises(StateDictError, match="share memory.*save_model"):
            ours.save(tensors)


def test_disjoint_views_of_one_storage_save_like_the_reference() -> None:
    base = torch.arange(4.0)
    tensors = {"x": base[1:2], "y": base[0:1], "z": torch.zeros(0), "w": torch.zeros(0)}
    assert ours.save(tensors) == ref.save(tensors)


def test_conjugate_views_are_saved_by_value() -> None:
    # The reference writes the raw storage of a conjugate view (losing the conjugation).
    value = torch.tensor([1 + 2j], dtype=torch.complex64)
    assert ours.load(ours.save({"x": value.conj()}))["x"].equal(torch.tensor([1 - 2j], dtype=torch.complex64))


def test_failed_save_keeps_the_previous_file(tmp_path) -> None:
    path = tmp_path / "model.safetensors"
    ours.save_file({"x": torch.ones(2)}, path)
    previous = path.read_bytes()
    with pytest.raises(SafetensorsError):
        ours.save_file({"x": torch.ones(2), "y": torch.zeros(3, 3).t()}, path)
    with pytest.raises(FileNotFoundError):
        ours.save_file({"x": torch.ones(2)}, tmp_path / "missing" / "model.safetensors")
    assert path.read_bytes() == previous
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.safetensors"]


def test_overwriting_a_file_whose_tensors_are_loaded_is_safe(tmp_path) -> None:
    path = tmp_path / "model.safetensors"
    ours.save_file({"w": torch.arange(1024.0)}, path)
    loaded = ours.load_file(path)
    ours.save_file({"w": loaded["w"] * 2}, path)  # reads the mapping while replacing the file
    assert loaded["w"].equal(torch.arange(1024.0))
    assert ours.load_file(path)["w"].equal(torch.arange(1024.0) * 2)


def test_concurrent_saves_to_one_path_leave_one_complete_file(tmp_path) -> None:
    path = tmp_path / "model.safetensors"
    versions = [{"w": torch.full((256, 256), float(i))} for i in range(4)]
    threads = [threading.Thread(target=ours.save_file, args=(version, path)) for version in versions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    loaded = ref.load_file(str(path))["w"]
    assert any(loaded.equal(version["w"]) for version in versions)
    assert [p.name for p in tmp_path.iterdir()] == ["model.safetensors"]


def test_parameters_with_grad_save_their_values() -> None:
    parameter = torch.nn.Parameter(torch.randn(3))
    assert ours.load(ours.save({"p": parameter}))["p"].equal(parameter.detach())


# --- save_model / load_model --------------------------------------------------------


class Tied(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.embed = torch.nn.Embedding(6, 4)
        self.head = torch.nn.Linear(4, 6, bias=False)
        self.head.weight = self.embed.weight
        self.norm = torch.nn.LayerNorm(4)


def test_save_model_dedupes_tied_weights_like_the_reference(tmp_path) -> None:
    torch.manual_seed(0)
    model = Tied()
    ours.save_model(model, tmp_path / "ours.safetensors")
    ref.save_model(model, str(tmp_path / "ref.safetensors"))
    assert (tmp_path / "ours.safetensors").read_bytes() == (tmp_path / "ref.safetensors").read_bytes()
    with safe_open(str(tmp_path / "ours.safetensors"), framework="pt") as handle:
        assert handle.metadata() == {"head.weight": "embed.weight"}


def test_save_model_keeps_user_metadata_and_does_not_mutate_it(tmp_path) -> None:
    metadata = {"format": "pt", "head.weight": "mine"}
    ours.save_model(Tied(), tmp_path / "m.safetensors", metadata=metadata)
    assert metadata == {"format": "pt", "head.weight": "mine"}
    with safe_open(str(tmp_path / "m.safetensors"), framework="pt") as handle:
        assert handle.metadata() == {"format": "pt", "head.weight": "mine"}


@pytest.mark.parametrize("writer", ["ours", "reference"])
def test_load_model_matches_the_reference(tmp_path, writer: str) -> None:
    torch.manual_seed(0)
    source = Tied()
    path = str(tmp_path / "m.safetensors")
    (ours.save_model if writer == "ours" else ref.save_model)(source, path)
    target_ours, target_ref = Tied(), Tied()
    assert ours.load_model(target_ours, path) == ref.load_model(target_ref, path)
    for name, tensor in source.state_dict().items():
        assert torch.equal(target_ours.state_dict()[name], tensor)
    assert target_ours.head.weight is target_ours.embed.weight


def test_load_model_strict_reports_missing_and_unexpected(tmp_path) -> None:
    path = str(tmp_path / "m.safetensors")
    ours.save_file({"embed.weight": torch.zeros(6, 4), "extra": torch.zeros(1)}, path)
    with pytest.raises(RuntimeError) as expected:
        ref.load_model(Tied(), path)
    with pytest.raises(StateDictError) as got:
        ours.load_model(Tied(), path)
    # The same missing/unexpected lines as the reference, plus which file and how to relax.
    for line in str(expected.value).splitlines()[1:]:
        assert line in str(got.value)
    assert path in str(got.value) and "strict=False" in str(got.value)
    assert ours.load_model(Tied(), path, strict=False) == ref.load_model(Tied(), path, strict=False)


def test_save_model_without_force_contiguous_explains_the_fix(tmp_path) -> None:
    model = torch.nn.Linear(3, 2)
    model.weight = torch.nn.Parameter(torch.randn(3, 2).t())
    with pytest.raises(SafetensorsError, match="force_contiguous=True"):
        ours.save_model(model, tmp_path / "m.safetensors", force_contiguous=False)
    ours.save_model(model, tmp_path / "m.safetensors")
    assert ours.load_file(tmp_path / "m.safetensors")["weight"].equal(model.weight.detach())


def test_shared_storage_without_a_complete_tensor_is_refused(tmp_path) -> None:
    class Halves(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            base = torch.zeros(4)
            self.register_buffer("a", base[:3])
            self.register_buffer("b", base[1:])

    with pytest.raises(StateDictError, match="none of them covers the whole storage"):
        ours.save_model(Halves(), tmp_path / "m.safetensors")


def test_storage_helpers_match_the_reference() -> None:
    base = torch.zeros(8)
    for tensor in (base, base[2:], torch.zeros(0), torch.zeros(3, device="meta")):
        assert ours.storage_ptr(tensor) == ref.storage_ptr(tensor)
        assert ours.storage_size(tensor) == ref.storage_size(tensor)
