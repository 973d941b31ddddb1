"""Compare pipeline answers: equal structure, labels / words / ids exactly, scores within a tolerance."""

from __future__ import annotations

import numbers
from typing import Any

import torch


def assert_same(ours: Any, reference: Any, tol: float = 1e-4, where: str = "answer") -> None:
    if isinstance(reference, torch.Tensor):
        reference = reference.tolist()
    if isinstance(ours, torch.Tensor):
        ours = ours.tolist()
    if isinstance(reference, dict):
        assert isinstance(ours, dict) and set(ours) == set(reference), f"{where}: keys {ours} vs {reference}"
        for key in reference:
            assert_same(ours[key], reference[key], tol, f"{where}[{key!r}]")
    elif isinstance(reference, (list, tuple)):
        assert isinstance(ours, (list, tuple)) and len(ours) == len(reference), f"{where}: {ours} vs {reference}"
        for i, (a, b) in enumerate(zip(ours, reference)):
            assert_same(a, b, tol, f"{where}[{i}]")
    elif isinstance(reference, numbers.Integral) and not isinstance(reference, bool):
        assert ours == reference, f"{where}: {ours} != {reference}"
    elif isinstance(reference, numbers.Real):
        assert abs(float(ours) - float(reference)) <= tol, f"{where}: {ours} vs {reference}"
    else:
        assert ours == reference, f"{where}: {ours!r} != {reference!r}"
