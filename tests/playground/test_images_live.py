"""The snapshot path the worker will use: a training thread takes throttled ImageProbes into a
locked slot and a GUI-thread timer drains it into the views (no signal per step)."""
from __future__ import annotations

import threading
import time

import numpy as np
from PySide6.QtCore import QTimer

from engine.probes import ImageProber
from playground.images import ConfusionView, FeatureMapsView, FiltersView
from playground.images.screenshots import train_digits_cnn


def test_views_follow_a_training_thread(qtbot) -> None:
    trainer = train_digits_cnn(epochs=0)
    dataset = trainer.dataset
    filters, maps, confusion = FiltersView(), FeatureMapsView(), ConfusionView()
    for widget in (filters, maps, confusion):
        qtbot.addWidget(widget)
    maps.set_model(trainer.model, trainer.preprocessor)
    maps.compute_here = False  # the worker owns the model now
    maps.set_samples(dataset.x_test, dataset.y_test, dataset.classes)
    confusion.set_samples(dataset.x_test, dataset.classes)

    lock = threading.Lock()
    latest: dict = {}
    stop = threading.Event()
    drained = {"probes": 0, "reports": 0}

    def train() -> None:
        prober = ImageProber(interval=0.05, budget=0.2, limit=200)
        sample = trainer.x_test[maps.sample_index]
        while not stop.is_set():
            trainer.step()
            probe = prober.maybe_probe(trainer.model, trainer.x_test, trainer.y_test, 10,
                                       sample)
            if probe is not None:
                with lock:
                    latest["probe"] = probe

    def drain() -> None:
        with lock:
            probe = latest.pop("probe", None)
        if probe is None:
            return
        drained["probes"] += 1
        filters.update_filters(probe.filters)
        maps.update_maps(probe.feature_maps)
        if probe.confusion is not None:
            drained["reports"] += 1
            confusion.update_report(probe.confusion)

    timer = QTimer()
    timer.setInterval(30)
    timer.timeout.connect(drain)
    timer.start()
    worker = threading.Thread(target=train, daemon=True)
    worker.start()
    try:
        qtbot.waitUntil(lambda: drained["probes"] >= 3, timeout=5000)
        filters_before = filters.filters.copy()
        qtbot.waitUntil(lambda: drained["reports"] >= 2 and trainer.steps > 60, timeout=10000)
        qtbot.wait(200)
    finally:
        stop.set()
        worker.join(timeout=5)
        timer.stop()
    assert not worker.is_alive()
    assert not np.allclose(filters.filters, filters_before)  # the filters moved with training
    assert set(maps.maps) == {"conv2d_1", "conv2d_2"}
    assert confusion.report.matrix.sum() == 200
    assert confusion.report.accuracy > 0.5
