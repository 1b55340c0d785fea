"""The training worker: every step's record, a log-spaced replay store, budgeted evaluations."""
from __future__ import annotations

import copy
import time

import numpy as np
import pytest

from app_fixtures import CIRCLE


def make_trainer(epochs: int = 100000):
    from engine.project import parse_project
    from engine.trainer import Trainer
    spec = copy.deepcopy(CIRCLE)
    spec["training"]["epochs"] = epochs
    return Trainer(parse_project(spec))


def drain_until(worker, condition, timeout: float = 10.0):
    """Drain the worker (as the GUI would) until ``condition(all drained so far)`` holds."""
    steps: list[float] = []
    evaluations: list[int] = []
    state = {"steps": steps, "evaluations": evaluations, "last": None}
    end = time.perf_counter() + timeout
    while time.perf_counter() < end:
        drained = worker.drain()
        steps.extend(drained.steps.tolist())
        evaluations.extend(step for step, _ in drained.evaluations)
        state["last"] = drained
        if condition(state):
            return state
        time.sleep(0.01)
    raise AssertionError("the worker did not get there in time")


def test_store_feed_is_dense_early_then_log_spaced():
    from engine.snapshots import SnapshotStore
    from playground.worker import StoreFeed
    trainer = make_trainer()
    feed = StoreFeed(SnapshotStore(), resolution=10)
    assert feed.record(trainer, force=True)            # step 0, the starting weights
    for _ in range(200):
        trainer.step()
        feed.record(trainer)
    steps = feed.store.steps()
    assert steps[:20] == list(range(20))                # every step while step < 2 × resolution
    gaps = np.diff(steps)
    assert gaps.max() <= max(1, 200 // 10)
    assert np.all(gaps[1:] >= gaps[:-1] - 1)            # gaps never shrink (log spacing)
    assert len(steps) < 60
    trainer.step()
    assert feed.record(trainer, force=True)             # pause/finish/single step: always kept
    assert feed.store.steps()[-1] == trainer.steps


def test_store_feed_copies_and_follows_a_reset():
    from engine.snapshots import SnapshotStore
    from playground.worker import StoreFeed
    trainer = make_trainer()
    feed = StoreFeed(SnapshotStore())
    feed.record(trainer, force=True)
    stored = feed.store.get(0)
    initial = trainer.model.state_dict()
    assert set(stored) == set(initial)
    for _ in range(5):
        trainer.step()
        feed.record(trainer)
    assert all(np.array_equal(stored[k], initial[k]) for k in initial)   # copies, not views
    assert feed.store.steps() == [0, 1, 2, 3, 4, 5]
    assert all(np.array_equal(feed.store.get(5)[k], v)
               for k, v in trainer.model.state_dict().items())
    trainer.reset()                                     # a new model object and optimizer
    feed.clear()
    feed.record(trainer, force=True)
    trainer.step()
    feed.record(trainer)
    assert feed.store.steps() == [0, 1]
    assert all(np.array_equal(feed.store.get(1)[k], v)
               for k, v in trainer.model.state_dict().items())


def test_budget_end_keeps_work_to_its_share():
    from playground.worker import budget_end
    assert budget_end(2.0, 3.0, 0.1) == pytest.approx(12.0)    # 1 s of work, then 9 s free
    assert budget_end(5.0, 5.0, 0.25) == 5.0


def test_worker_records_every_step_and_thins_only_the_store(qtbot):
    from playground.worker import TrainingWorker
    worker = TrainingWorker()
    try:
        trainer = make_trainer()
        worker.load(trainer)
        worker.start()
        state = drain_until(worker, lambda s: len(s["steps"]) >= 2500, timeout=30)
        worker.pause()
        state2 = drain_until(worker, lambda s: not s["last"].running
                             and not worker.has_pending_commands)
        steps = state["steps"] + state2["steps"]
        final = worker.call(lambda t: t.steps)
        assert steps == list(range(1, final + 1))       # every step's loss reaches the GUI
        stored = worker.store.steps()
        assert stored[:1000] == list(range(1000))       # dense for the first 1000 steps
        assert stored[-1] == final                      # the paused step can be replayed
        assert len(stored) < final                      # later steps are spaced out
        evaluations = state["evaluations"] + state2["evaluations"]
        assert evaluations[0] <= 2 and len(evaluations) >= 10
    finally:
        worker.stop()
    assert not worker.alive


def test_worker_keeps_costly_evaluations_to_a_tenth_of_the_time(qtbot):
    from playground.worker import EVALUATION_SHARE, TrainingWorker
    worker = TrainingWorker()
    trainer = make_trainer()
    evaluate = trainer.evaluate
    spent: list[tuple[float, float]] = []     # (start, seconds) of each evaluation

    def slow_evaluate(limit=None):
        begin = time.perf_counter()
        time.sleep(0.02)       # a big model's evaluation, without using the CPU
        result = evaluate(limit)
        spent.append((begin, time.perf_counter() - begin))
        return result
    trainer.evaluate = slow_evaluate
    try:
        worker.load(trainer)
        drain_until(worker, lambda s: s["last"].snapshot is not None)   # the forced first one
        spent.clear()
        worker.start()
        begin = time.perf_counter()
        drain_until(worker, lambda s: time.perf_counter() - begin >= 1.5, timeout=5)
        end = time.perf_counter()
        worker.pause()
    finally:
        worker.stop()
    during = [seconds for start, seconds in spent if start < end]
    assert len(during) >= 3                             # evaluations still come, ~5 a second
    assert sum(during) <= EVALUATION_SHARE * (end - begin) + max(during) + 0.02
