"""The bounded snapshot store: cap, spacing, lookups, and exact replay of a run."""
import threading

import numpy as np
import pytest

from engine import catalog
from engine.data.playground2d import FRAME
from engine.graph import build_model
from engine.project import parse_project, prepare
from engine.snapshots import ENTRY_OVERHEAD, MEGABYTE, SnapshotStore
from engine.trainer import Trainer

catalog.load_all()


def state(value: float = 0.0, size: int = 1000) -> dict[str, np.ndarray]:
    """A fake model state of ``size`` float32 weights."""
    return {"dense_1.weight": np.full(size - 10, value, np.float32),
            "dense_1.bias": np.full(10, value, np.float32)}


def test_stays_under_its_cap_over_ten_thousand_steps_dense_early_sparse_later():
    store = SnapshotStore(cap_mb=0.5)
    per_snapshot = 4000 + ENTRY_OVERHEAD
    largest = 0
    for step in range(10_001):
        assert store.add(step, state(step))
        largest = max(largest, store.memory_bytes())
    assert largest <= store.cap_bytes == MEGABYTE // 2
    steps = store.steps()
    assert len(steps) == store.cap_bytes // per_snapshot
    assert store.memory_bytes() == len(steps) * per_snapshot
    assert steps[0] == 0 and steps[-1] == 10_000          # the start and the newest stay
    gaps = np.diff(steps)
    assert gaps[:10].max() <= 8                            # dense early ...
    assert gaps[-10:].min() > 20 * gaps[:10].max()         # ... sparser later
    quarters = [chunk.mean() for chunk in np.array_split(gaps, 4)]
    assert quarters == sorted(quarters)                    # and the spacing keeps growing
    # Each stored state is the one added at its step.
    for step in steps[::25]:
        assert store.get(step)["dense_1.bias"][0] == step


def test_wants_skips_copies_that_thinning_would_drop_and_keeps_the_spacing():
    every, wanted = SnapshotStore(cap_mb=0.5), SnapshotStore(cap_mb=0.5)
    copies = 0
    for step in range(10_001):
        every.add(step, state(step))
        if wanted.wants(step):
            wanted.add(step, state(step))
            copies += 1
        assert wanted.memory_bytes() <= wanted.cap_bytes
    assert copies < 1000                                   # not a copy per step
    assert len(wanted) == len(every) and wanted.steps()[0] == 0
    assert wanted.steps()[-1] > 9000
    ours, reference = np.diff(wanted.steps()), np.diff(every.steps())
    for part, expected in zip(np.array_split(ours, 4), np.array_split(reference, 4)):
        assert 0.5 < part.mean() / expected.mean() < 2.0
    assert wanted.wants(5)                                 # a rewind is always taken


def test_lookups_nearest_at_or_before_and_read_only_arrays():
    store = SnapshotStore()
    assert store.nearest(5) is None and store.at_or_before(5) is None
    for step in (0, 10, 20):
        store.add(step, state(step, 20))
    assert store.nearest(14)[0] == 10 and store.nearest(16)[0] == 20
    assert store.nearest(15)[0] == 10                     # a tie goes to the earlier one
    assert store.nearest(-3)[0] == 0 and store.nearest(99)[0] == 20
    assert store.at_or_before(19)[0] == 10 and store.at_or_before(-1) is None
    assert store.get(11) is None
    stored = store.get(10)["dense_1.weight"]
    with pytest.raises(ValueError):
        stored[0] = 1.0
    source = state(3.0, 20)
    store.add(30, source)
    source["dense_1.weight"][0] = 99.0                    # later changes do not leak in
    assert store.get(30)["dense_1.weight"][0] == 3.0
    assert "4 snapshots" in store.summary() and "of 64 MB" in store.summary()
    live = np.zeros(30, np.float32)
    store.add(40, {"view": live[:20]}, copy=False)          # a view is copied even so
    live[0] = 7.0
    assert live.flags.writeable and store.get(40)["view"][0] == 0.0


def test_rewinding_replacing_and_shrinking():
    store = SnapshotStore(cap_mb=1.0)
    for step in range(50):
        store.add(step, state(step))
    store.add(20, state(-1.0))                            # a hand edit at step 20 after a rewind
    assert store.steps()[-1] == 20 and store.get(20)["dense_1.bias"][0] == -1.0
    assert len(store) == 21
    store.set_cap(10 * (4000 + ENTRY_OVERHEAD) / MEGABYTE)
    assert len(store) == 10 and store.memory_bytes() <= store.cap_bytes
    assert store.steps()[0] == 0 and store.steps()[-1] == 20
    assert not store.add(21, state(size=1_000_000))       # larger than the whole cap
    assert store.steps()[-1] == 20
    store.clear()
    assert len(store) == 0 and store.memory_bytes() == 0
    with pytest.raises(ValueError):
        SnapshotStore(cap_mb=0)


def test_concurrent_writer_and_reader():
    store = SnapshotStore(cap_mb=0.2)
    done = threading.Event()

    def write():
        for step in range(3000):
            store.add(step, state(step, 500))
        done.set()

    writer = threading.Thread(target=write)
    writer.start()
    seen = 0
    while not done.is_set():
        found = store.nearest(seen * 7)
        if found is not None:
            step, weights = found
            assert weights["dense_1.bias"][0] == step
            seen += 1
    writer.join()
    assert store.memory_bytes() <= store.cap_bytes


def decision_grid(trainer: Trainer, model, size: int = 40) -> np.ndarray:
    """The model's predictions on a grid over the 2-D frame (the boundary plot's input)."""
    axis = np.linspace(-FRAME, FRAME, size, dtype=np.float32)
    grid_x, grid_y = np.meshgrid(axis, axis)
    points = np.stack([grid_x.ravel(), grid_y.ravel()], axis=1)
    return model.predict(trainer.preprocessor.transform(points))


def test_restoring_a_snapshot_gives_the_boundary_the_model_had_at_that_step():
    raw = {"layerlab": 1, "name": "replay", "seed": 2,
           "data": {"source": "spiral", "samples": 200, "features": ["x1", "x2", "sin(x1)"]},
           "network": {"layers": [{"type": "dense", "units": 8, "activation": "tanh"},
                                  {"type": "batchnorm"},
                                  {"type": "dense", "units": 1, "activation": "sigmoid"}]},
           "training": {"batch_size": 10, "optimizer": {"type": "adam", "learning_rate": 0.03}}}
    project = parse_project(raw)
    trainer = Trainer(project, prepare(project))
    model_bytes = sum(v.nbytes for v in trainer.model.state_dict().values()) + ENTRY_OVERHEAD
    store = SnapshotStore(cap_mb=25 * model_bytes / MEGABYTE)   # forces thinning
    grids = {0: decision_grid(trainer, trainer.model)}
    store.add(0, trainer.model.state_dict())
    for _ in range(300):
        record = trainer.step()
        if store.wants(record.step):                               # only copy what stays
            store.add(record.step, trainer.model.state_dict())
        grids[record.step] = decision_grid(trainer, trainer.model)
    assert store.add(trainer.steps, trainer.model.state_dict())    # training paused
    assert len(store) == 25 and store.steps()[-1] == 300
    replay = build_model(project.network, tuple(trainer.preprocessor.input_shape), seed=99)
    for step in store.steps():
        replay.load_state_dict(store.get(step))
        np.testing.assert_array_equal(decision_grid(trainer, replay), grids[step])
    # Different steps really do draw different boundaries.
    assert np.abs(grids[0] - grids[300]).max() > 0.1
