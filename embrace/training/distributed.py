"""Multi-process training under ``torchrun``: process-group setup, sharded samplers, gathers.

``torchrun --nproc_per_node=N script.py`` (or ``embrace launch``) starts N copies of a script and
tells each one who it is through ``RANK`` / ``LOCAL_RANK`` / ``WORLD_SIZE``. The first time
``TrainingArguments.device`` is read, :func:`init_distributed` joins the process group (``nccl``
when the process has a CUDA GPU, ``gloo`` on CPU) exactly once. The Trainer then wraps the model
in ``DistributedDataParallel`` (or, with ``fsdp``, shards it with FSDP2 through :func:`shard_model`),
gives each process its shard of the data through :class:`ShardedSampler`, and brings evaluation
results together with :func:`gather_objects` / :func:`all_reduce_sum`. Under FSDP the weights and
the optimizer state travel as full, unsharded state dicts (:func:`full_model_state_dict`,
:func:`full_optimizer_state_dict` and their ``load_*`` counterparts), so checkpoints are the
files a single process writes. Outside ``torchrun`` every helper is a no-op for a world of one.

Example:
    >>> world = DistributedState.from_env({})
    >>> (world.world_size, world.rank, world.local_rank, world.is_distributed)
    (1, 0, 0, False)
    >>> list(ShardedSampler(range(5), num_replicas=2, rank=1))
    [1, 3, 0]
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
from datetime import timedelta
from typing import Any, Callable, Iterable, Iterator, Mapping

import torch
import torch.distributed as dist
from torch.utils.data import Sampler

from embrace.errors import CheckpointError, TrainingError
from embrace.utils.logging import get_logger

logger = get_logger(__name__)

__all__ = ["DistributedState", "init_distributed", "ShardedSampler", "EvalShardSampler", "barrier",
           "all_reduce_sum", "gather_objects", "skip_gradient_sync", "fsdp_units", "shard_model", "is_sharded", "unsharded_class",
           "full_model_state_dict", "full_optimizer_state_dict", "load_full_model_state_dict",
           "load_full_optimizer_state_dict", "optimizer_state_to_indices", "optimizer_state_to_names"]

# what SIZE_BASED_WRAP uses when fsdp_config has no min_num_params (accelerate's default)
_DEFAULT_MIN_NUM_PARAMS = 100_000_000


@dataclasses.dataclass(frozen=True)
class DistributedState:
    """Who this process is in the run (``world_size`` 1: not distributed)."""

    world_size: int = 1
    rank: int = 0
    local_rank: int = 0

    @property
    def is_distributed(self) -> bool:
        return self.world_size > 1

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "DistributedState":
        """Read ``WORLD_SIZE`` / ``RANK`` / ``LOCAL_RANK`` as torchrun sets them."""
        env = os.environ if env is None else env
        try:
            world = int(env.get("WORLD_SIZE", "1"))
            rank = int(env.get("RANK", "0"))
            local = int(env.get("LOCAL_RANK", str(rank)))
        except ValueError as err:
            raise TrainingError(f"WORLD_SIZE/RANK/LOCAL_RANK must be integers (as torchrun sets them): {err}") from err
        if not 0 <= rank < world:
            raise TrainingError(f"RANK={rank} is outside WORLD_SIZE={world}; start the script with torchrun or "
                                "`embrace launch`, which set both.")
        return cls(world, rank, local)


def init_distributed(state: DistributedState, *, use_cpu: bool, backend: str | None = None,
                     timeout_s: int = 1800) -> torch.device:
    """Join the process group once (no-op for a world of one) and return this process's device."""
    use_cuda = not use_cpu and torch.cuda.is_available()
    device = torch.device("cuda", state.local_rank if state.is_distributed else 0) if use_cuda else torch.device("cpu")
    if not state.is_distributed:
        return device
    if use_cuda:
        torch.cuda.set_device(device)
    if not dist.is_initialized():
        # MASTER_ADDR/MASTER_PORT come from torchrun (env:// rendezvous)
        dist.init_process_group(backend=backend or ("nccl" if use_cuda else "gloo"),
                                timeout=timedelta(seconds=timeout_s))
    elif dist.get_world_size() != state.world_size:
        raise TrainingError(f"A process group of size {dist.get_world_size()} is already running but WORLD_SIZE="
                            f"{state.world_size}; do not mix launchers.")
    return device


def _active() -> bool:
    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


def barrier() -> None:
    """Wait until every process gets here (no-op outside a process group)."""
    if _active():
        dist.barrier()


def all_reduce_sum(value: float) -> float:
    """``value`` summed over all processes."""
    if not _active():
        return value
    backend_device = "cuda" if dist.get_backend() == "nccl" else "cpu"
    tensor = torch.tensor([value], dtype=torch.float64, device=backend_device)
    dist.all_reduce(tensor)
    return float(tensor.item())


def gather_objects(obj: Any) -> list[Any]:
    """Every process's ``obj``, in rank order, on every process (``[obj]`` outside a process group)."""
    if not _active():
        return [obj]
    out: list[Any] = [None] * dist.get_world_size()
    dist.all_gather_object(out, obj)
    return out


class ShardedSampler(Sampler[int]):
    """This process's share of another sampler's order, like ``DistributedSampler``.

    The full order is padded to a multiple of ``num_replicas`` by repeating its start, then rank
    ``r`` takes positions ``r, r + N, r + 2N, ...``: batch ``k`` of all ranks together is batch ``k``
    of a single process whose batch is N times larger. Wrapping a seeded random sampler gives the
    same indices as ``DistributedSampler(shuffle=True, seed=...)``; it also shards sequential and
    length-grouped orders. ``set_epoch`` passes through.
    """

    def __init__(self, base: Iterable[int], num_replicas: int, rank: int) -> None:
        self.base, self.num_replicas, self.rank = base, num_replicas, rank
        self.num_samples = -(-len(base) // num_replicas)  # ceil

    def set_epoch(self, epoch: int) -> None:
        if hasattr(self.base, "set_epoch"):
            self.base.set_epoch(epoch)

    def __iter__(self) -> Iterator[int]:
        order = list(self.base)
        total = self.num_samples * self.num_replicas
        while len(order) < total:  # pad so every rank runs the same number of steps
            order += order[: total - len(order)]
        return iter(order[self.rank:total:self.num_replicas])

    def __len__(self) -> int:
        return self.num_samples


class EvalShardSampler(Sampler[int]):
    """A contiguous, unpadded slice of ``range(len(data))`` per rank, so that concatenating the ranks'
    results in rank order gives the whole evaluation set once, in order, with no duplicates.

    Example:
        >>> [list(EvalShardSampler(range(5), 2, r)) for r in (0, 1)]
        [[0, 1, 2], [3, 4]]
    """

    def __init__(self, data_source: Any, num_replicas: int, rank: int) -> None:
        size = len(data_source)
        per_rank = -(-size // num_replicas)
        self.start, self.stop = min(rank * per_rank, size), min((rank + 1) * per_rank, size)

    def __iter__(self) -> Iterator[int]:
        return iter(range(self.start, self.stop))

    def __len__(self) -> int:
        return self.stop - self.start


@contextlib.contextmanager
def main_process_first(is_main: bool, active: bool) -> Iterator[None]:
    """Run the block on the main process first; the others enter it once the main one has left."""
    if active and not is_main:
        barrier()
    try:
        yield
    finally:
        if active and is_main:
            barrier()


@contextlib.contextmanager
def skip_gradient_sync(model: torch.nn.Module) -> Iterator[None]:
    """Backward passes in the block keep their gradients local (DDP ``no_sync``, FSDP2
    ``set_requires_gradient_sync(False)``); the next synced backward reduces the accumulated sum."""
    if hasattr(model, "no_sync"):
        with model.no_sync():
            yield
    elif hasattr(model, "set_requires_gradient_sync"):
        model.set_requires_gradient_sync(False)
        try:
            yield
        finally:
            model.set_requires_gradient_sync(True)
    else:
        yield


# ---- FSDP2 ------------------------------------------------------------------------------------------
def is_sharded(model: torch.nn.Module) -> bool:
    """Whether ``fully_shard`` was applied to ``model`` (its parameters are DTensors)."""
    if not dist.is_available():  # torch builds without distributed support have no FSDP either
        return False
    from torch.distributed.fsdp import FSDPModule

    return isinstance(model, FSDPModule)


def unsharded_class(model: torch.nn.Module) -> type:
    """The model's own class: ``fully_shard`` swaps it for a generated ``FSDP<Name>`` subclass."""
    if not is_sharded(model):
        return type(model)
    from torch.distributed.fsdp import FSDPModule

    return next(base for base in type(model).__bases__ if base is not FSDPModule)


def _flag(config: Mapping[str, Any], key: str, default: bool) -> bool:
    value = config.get(key, default)
    return value if isinstance(value, bool) else str(value).strip().lower() in ("1", "true", "yes", "y", "on", "t")


def _no_split_module_names(model: torch.nn.Module) -> list[str]:
    # every embrace model nested in the task head declares the blocks that must stay whole
    names: list[str] = []
    for module in model.modules():
        for name in getattr(module, "_no_split_modules", None) or []:
            if name not in names:
                names.append(name)
    return names


def _wrap_policy(model: torch.nn.Module, fsdp_config: Mapping[str, Any]) -> Callable[[torch.nn.Module], bool] | None:
    """Which sub-modules become their own FSDP unit: the transformer blocks (by class name), or any
    module above ``min_num_params`` parameters, or none (``NO_WRAP``: only the root is sharded)."""
    policy = fsdp_config.get("auto_wrap_policy", "TRANSFORMER_BASED_WRAP")
    min_params = int(fsdp_config.get("min_num_params") or 0)
    if policy == "NO_WRAP":
        return None
    if policy == "TRANSFORMER_BASED_WRAP":
        names = fsdp_config.get("transformer_layer_cls_to_wrap") or _no_split_module_names(model)
        if names:
            present = {type(m).__name__: type(m) for m in model.modules()}
            missing = [n for n in names if n not in present]
            if missing:
                raise TrainingError(f"Could not find the transformer layer class {missing[0]} in "
                                    f"{unsharded_class(model).__name__}; fix fsdp_config["
                                    f"'transformer_layer_cls_to_wrap'] (classes in the model include "
                                    f"{sorted(present)[:12]}).")
            classes = tuple(present[n] for n in names)
            return lambda module: isinstance(module, classes)
        if not min_params:
            return None
    threshold = min_params or _DEFAULT_MIN_NUM_PARAMS
    return lambda module: sum(p.numel() for p in module.parameters()) > threshold


def fsdp_units(model: torch.nn.Module, fsdp_config: Mapping[str, Any]) -> list[str]:
    """Names of the sub-modules that become their own FSDP unit, children before parents (the root,
    always sharded last, is not listed). A block that shares a weight with the rest of the model (a
    tied embedding) stays with the root: one weight must live in one unit.

    Example:
        >>> from embrace import BertConfig, BertForMaskedLM
        >>> model = BertForMaskedLM(BertConfig(vocab_size=30, hidden_size=8, num_hidden_layers=2,
        ...                                    num_attention_heads=2, intermediate_size=8))
        >>> fsdp_units(model, {})  # the embeddings are tied to the LM head
        ['bert.encoder.layer.1', 'bert.encoder.layer.0']
    """
    policy = _wrap_policy(model, fsdp_config)
    if policy is None:
        return []
    owners: dict[int, set[int]] = {}  # parameter -> the modules that hold it
    for module in model.modules():
        for param in module._parameters.values():
            if param is not None:
                owners.setdefault(id(param), set()).add(id(module))
    units = []
    for name, module in reversed(list(model.named_modules())[1:]):
        if not policy(module):
            continue
        inside = {id(m) for m in module.modules()}
        if all(owners[id(p)] <= inside for p in module.parameters()):
            units.append(name)
    return units


def shard_model(model: torch.nn.Module, fsdp_config: Mapping[str, Any], *, device: torch.device,
                mixed_precision: torch.dtype | None = None) -> list[str]:
    """Shard ``model`` in place with FSDP2: each of :func:`fsdp_units` (bottom-up), then the root.

    ``reshard_after_forward`` (False for ``shard_grad_op``) keeps gathered weights until backward;
    ``cpu_offload`` keeps sharded weights in CPU memory between uses (on a CPU run they already are);
    ``mixed_precision`` computes and reduces in that dtype over float32 master weights.
    Returns the names of the units.
    """
    from torch.distributed.fsdp import CPUOffloadPolicy, MixedPrecisionPolicy, fully_shard

    options: dict[str, Any] = {"reshard_after_forward": _flag(fsdp_config, "reshard_after_forward", True)}
    if mixed_precision is not None:
        options["mp_policy"] = MixedPrecisionPolicy(param_dtype=mixed_precision, reduce_dtype=mixed_precision,
                                                    output_dtype=mixed_precision)
    if _flag(fsdp_config, "cpu_offload", False):
        if device.type == "cpu":
            logger.warning("fsdp cpu_offload has nothing to do: this run keeps its weights in CPU memory already.")
        else:
            options["offload_policy"] = CPUOffloadPolicy()
    units = fsdp_units(model, fsdp_config)
    for name in units:
        module = model.get_submodule(name)
        if not is_sharded(module):
            fully_shard(module, **options)
    # the root's own reshard_after_forward is left to torch: resharding it right before backward saves nothing
    fully_shard(model, **{k: v for k, v in options.items() if k != "reshard_after_forward"})
    return units


def _state_dict_options(**kwargs: Any) -> Any:
    from torch.distributed.checkpoint.state_dict import StateDictOptions

    return StateDictOptions(full_state_dict=True, **kwargs)


def full_model_state_dict(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    """The full, unsharded weights of a sharded model, on CPU, on rank 0 (``{}`` on the other ranks).
    Collective: every process must call it."""
    from torch.distributed.checkpoint.state_dict import get_model_state_dict

    return get_model_state_dict(model, options=_state_dict_options(cpu_offload=True))


def full_optimizer_state_dict(model: torch.nn.Module, optimizer: torch.optim.Optimizer) -> dict[str, Any]:
    """The optimizer state of a sharded model as a plain ``optimizer.state_dict()`` of the unsharded
    model would hold it (parameters numbered, full tensors on CPU), on rank 0; ``{}`` elsewhere.
    Collective: every process must call it."""
    from torch.distributed.checkpoint.state_dict import get_optimizer_state_dict

    by_name = get_optimizer_state_dict(model, optimizer, options=_state_dict_options(cpu_offload=True))
    if not by_name:
        return {}
    return optimizer_state_to_indices(by_name, _names_by_group(model, optimizer))


def _names_by_group(model: torch.nn.Module, optimizer: torch.optim.Optimizer) -> list[list[str]]:
    names = {id(p): n for n, p in model.named_parameters()}
    return [[names[id(p)] for p in group["params"]] for group in optimizer.param_groups]


def load_full_model_state_dict(model: torch.nn.Module, state_dict: dict[str, torch.Tensor], *, source: str) -> None:
    """Load full weights (as ``full_model_state_dict`` returns them) into a sharded model; every rank passes
    the same dict. Weights the file lacks keep their values (tied copies are saved once)."""
    from torch.distributed.checkpoint.state_dict import set_model_state_dict

    result = set_model_state_dict(model, state_dict, options=_state_dict_options(strict=False))
    if result.unexpected_keys:
        raise CheckpointError(f"{source} holds weights this model does not have: {sorted(result.unexpected_keys)[:5]}")


def load_full_optimizer_state_dict(model: torch.nn.Module, optimizer: torch.optim.Optimizer,
                                   state_dict: dict[str, Any]) -> None:
    """Load a plain (numbered) optimizer state dict into the optimizer of a sharded model."""
    from torch.distributed.checkpoint.state_dict import set_optimizer_state_dict

    by_name = optimizer_state_to_names(state_dict, _names_by_group(model, optimizer))
    set_optimizer_state_dict(model, optimizer, by_name, options=_state_dict_options())



def optimizer_state_to_indices(state_dict: dict[str, Any], names: list[list[str]]) -> dict[str, Any]:
    """A name-keyed optimizer state dict (torch.distributed.checkpoint's format) in ``optimizer.state_dict()``'s
    format: parameters numbered in group order. ``names[g]`` lists group ``g``'s parameter names in order.

    Example:
        >>> sd = {"state": {"b": {"step": 1}}, "param_groups": [{"lr": 0.1, "params": ["a", "b"]}]}
        >>> optimizer_state_to_indices(sd, [["a", "b"]])
        {'state': {1: {'step': 1}}, 'param_groups': [{'lr': 0.1, 'params': [0, 1]}]}
    """
    index = {name: i for i, name in enumerate(n for group in names for n in group)}
    groups, start = [], 0
    for group, group_names in zip(state_dict["param_groups"], names):
        groups.append({**group, "params": list(range(start, start + len(group_names)))})
        start += len(group_names)
    state = {index[name]: value for name, value in state_dict["state"].items()}
    return {"state": dict(sorted(state.items())), "param_groups": groups}


def optimizer_state_to_names(state_dict: dict[str, Any], names: list[list[str]]) -> dict[str, Any]:
    """The inverse of :func:`optimizer_state_to_indices`; a file from another model raises CheckpointError.

    Example:
        >>> sd = {"state": {1: {"step": 1}}, "param_groups": [{"lr": 0.1, "params": [0, 1]}]}
        >>> optimizer_state_to_names(sd, [["a", "b"]])["state"]
        {'b': {'step': 1}}
    """
    flat = [n for group in names for n in group]
    saved = state_dict.get("param_groups", [])
    sizes = [len(g.get("params", ())) for g in saved]
    if sizes != [len(group) for group in names]:
        raise CheckpointError(f"The optimizer state has parameter groups of sizes {sizes} but this optimizer has "
                              f"{[len(group) for group in names]}; resume with the model and optimizer settings the "
                              "checkpoint was written with.")
    groups = [{**group, "params": list(group_names)} for group, group_names in zip(saved, names)]
    return {"state": {flat[int(i)]: value for i, value in state_dict["state"].items()}, "param_groups": groups}
