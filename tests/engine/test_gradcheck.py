"""Every op, layer type and loss: backward agrees with central differences (float64), and a
float32 forward/backward stays float32 end to end."""
from __future__ import annotations

import numpy as np
import pytest

from engine.registry import LAYERS
from gradcheck import ALL_CASES, LAYER_SPECS, check_case, run_case


@pytest.mark.parametrize("name", sorted(ALL_CASES))
def test_gradient_matches_central_differences(name: str) -> None:
    check_case(ALL_CASES[name])


@pytest.mark.parametrize("name", sorted(ALL_CASES))
def test_float32_stays_float32(name: str) -> None:
    out, leaves, grads = run_case(ALL_CASES[name], dtype=np.float32)
    assert out.dtype == np.float32
    for tensor, grad in zip(leaves, grads):
        assert grad is not None and grad.dtype == np.float32, (tensor, grad.dtype if grad is not None else None)


def test_every_layer_type_is_gradient_checked() -> None:
    checked = {spec["type"] for spec, _ in LAYER_SPECS.values()}
    assert checked == set(LAYERS.names())
