"""`embrace launch [--nproc_per_node N] script.py [args...]`: run a training script on N processes.

A thin front for ``torch.distributed.run`` (what ``torchrun`` runs): it starts N copies of the
script with ``RANK`` / ``LOCAL_RANK`` / ``WORLD_SIZE`` / ``MASTER_ADDR`` / ``MASTER_PORT`` set, which
``TrainingArguments`` reads to join the process group (gloo on CPU, nccl on GPU). On one
machine it rendezvouses on a free local port (``--standalone``), so two launches never collide.
The default process count is the number of GPUs, or 1 on a CPU-only machine.

Example:
    >>> torchrun_argv(argparse.Namespace(nproc_per_node=2, nnodes=1, node_rank=0, master_addr=None,
    ...                                  master_port=None, script="train.py", script_args=["--lr", "1"]))
    ['--nproc_per_node=2', '--standalone', 'train.py', '--lr', '1']
"""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--nproc_per_node", "--nproc-per-node", type=int, default=None,
                        help="processes on this machine (default: the number of GPUs, else 1)")
    parser.add_argument("--nnodes", type=int, default=1, help="machines taking part (default: 1)")
    parser.add_argument("--node_rank", "--node-rank", type=int, default=0, help="this machine's index")
    parser.add_argument("--master_addr", "--master-addr", default=None, help="address of the node-0 machine")
    parser.add_argument("--master_port", "--master-port", type=int, default=None, help="port on the node-0 machine")
    parser.add_argument("script", help="the Python training script")
    parser.add_argument("script_args", nargs=argparse.REMAINDER, help="arguments passed on to the script")


def torchrun_argv(args: argparse.Namespace) -> list[str]:
    """The ``torch.distributed.run`` command line equivalent to ``args``."""
    nproc = args.nproc_per_node
    if nproc is None:
        import torch

        nproc = torch.cuda.device_count() or 1
    if nproc < 1 or args.nnodes < 1:
        raise SystemExit(f"embrace launch: --nproc_per_node and --nnodes must be >= 1 (got {nproc}, {args.nnodes}).")
    argv = [f"--nproc_per_node={nproc}"]
    if args.nnodes == 1 and args.master_addr is None and args.master_port is None:
        argv.append("--standalone")
    else:
        argv += [f"--nnodes={args.nnodes}", f"--node_rank={args.node_rank}"]
        if args.master_addr is not None:
            argv.append(f"--master_addr={args.master_addr}")
        if args.master_port is not None:
            argv.append(f"--master_port={args.master_port}")
    return argv + [args.script, *args.script_args]


def run(args: argparse.Namespace) -> int:
    from torch.distributed import run as torchrun

    # torchrun raises ChildFailedError (with each failed rank's traceback) when a process fails
    torchrun.main(torchrun_argv(args))
    return 0
