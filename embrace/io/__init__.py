"""Weight formats other than safetensors.

:mod:`embrace.io.torch_bin` loads ``pytorch_model.bin`` checkpoints weights-only (no
pickle code ever runs) and validates sharded ``*.index.json`` files.

Example:
    >>> import os, tempfile, torch
    >>> from embrace.io import load_torch_bin
    >>> path = os.path.join(tempfile.mkdtemp(), "pytorch_model.bin")
    >>> torch.save({"w": torch.zeros(1)}, path)
    >>> list(load_torch_bin(path))
    ['w']
"""

from embrace.io.torch_bin import ShardIndex, load_torch_bin, read_shard_index

__all__ = ["ShardIndex", "load_torch_bin", "read_shard_index"]
