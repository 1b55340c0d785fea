"""Pure layer-list edits behind the canvas (no Qt needed)."""
from __future__ import annotations

from engine import catalog
from engine.graph import plan_network
from playground.editor import edits

catalog.load_all()

CHAIN = [{"type": "dense", "units": 4, "activation": "relu"},
         {"type": "dense", "units": 3, "activation": "relu"},
         {"type": "dense", "units": 1}]


def test_chain_edits_keep_the_chain_plain():
    layers, position = edits.insert_after(CHAIN, 0, {"type": "dropout", "rate": 0.2})
    assert position == 1 and [l["type"] for l in layers][:2] == ["dense", "dropout"]
    assert edits.is_chain(layers)
    assert edits.delete(layers, 1) == CHAIN
    moved, index = edits.move(CHAIN, 2, -1)
    assert index == 1 and [l["units"] for l in moved] == [4, 1, 3]
    assert CHAIN[2]["units"] == 1          # inputs are never mutated


def test_connect_and_delete_in_a_wired_network():
    wired = edits.connect(CHAIN + [{"type": "concat"}], 0, 3)
    assert wired[3]["inputs"] == ["dense_3", "dense_1"]
    plan = plan_network(wired, (2,))
    assert plan.output_shape == (5,)
    without_middle = edits.delete(wired, 1)
    assert without_middle[1]["inputs"] == ["dense_1"]
    plan_network(without_middle, (2,))
    inserted, position = edits.insert_after(wired, 0, {"type": "dense", "units": 2})
    new_id = inserted[position]["id"]
    assert inserted[position]["inputs"] == ["dense_1"]
    # The new layer takes over the old layer's users.
    assert inserted[position + 1]["inputs"] == [new_id]
    assert new_id in inserted[-1]["inputs"] and "dense_1" not in inserted[-1]["inputs"]
    plan_network(inserted, (2,))


def test_default_layer_fills_required_settings():
    from engine.registry import LAYERS
    for name, cls in LAYERS.entries.items():
        layer = edits.default_layer(cls)
        assert layer["type"] == name
        for param in cls.params:
            if param.required:
                assert param.name in layer
