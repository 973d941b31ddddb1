"""Multi-process training under ``torchrun``: process-group setup, sharded samplers, gathers.

``torchrun --nproc_per_node=N script.py`` (or ``embrace launch``) starts N copies of a script and
tells each one who it is through ``RANK`` / ``LOCAL_RANK`` / ``WORLD_SIZE``. The first time
``TrainingArguments.device`` is read, :func:`init_distributed` joins the process group (``nccl``
when the process has a CUDA GPU, ``gloo`` on CPU) exactly once. The Trainer then wraps the model
in ``DistributedDataParallel``, gives each process its shard of the data through
:class:`ShardedSampler`, and brings evaluation results together with :func:`gather_objects` /
:func:`all_reduce_sum`. Outside ``torchrun`` every helper is a no-op for a world of one.

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
from typing import Any, Iterable, Iterator, Mapping

import torch
import torch.distributed as dist
from torch.utils.data import Sampler

from embrace.errors import TrainingError

__all__ = ["DistributedState", "init_distributed", "ShardedSampler", "EvalShardSampler", "barrier",
           "all_reduce_sum", "gather_objects"]


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
