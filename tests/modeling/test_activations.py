"""ACT2FN: same names as the reference, bit-identical values, a miss lists the valid names."""

from __future__ import annotations

import pytest
import torch

from embrace.errors import UnknownKeyError
from embrace.modeling.activations import ACT2FN, get_activation


def test_every_reference_key_is_available_and_identical():
    from transformers.activations import ACT2FN as REF

    x = torch.linspace(-12, 12, 1001, dtype=torch.float32)
    missing = [k for k in REF if k not in ACT2FN and k != "xielu"]
    assert missing == []
    for name in ACT2FN:
        ours, ref = ACT2FN[name], REF[name]
        if name == "prelu":  # learnable slope: copy it
            ours.load_state_dict(ref.state_dict())
        assert torch.equal(ours(x), ref(x)), name


def test_fresh_module_each_lookup_and_miss():
    assert ACT2FN["gelu"] is not ACT2FN["gelu"]
    with pytest.raises(UnknownKeyError) as info:
        get_activation("gelu_nonsense")
    assert "gelu_new" in str(info.value) and isinstance(info.value, KeyError)


def test_clipped_gelu_rejects_bad_range():
    from embrace.modeling.activations import ClippedGELUActivation

    with pytest.raises(ValueError):
        ClippedGELUActivation(1.0, -1.0)
