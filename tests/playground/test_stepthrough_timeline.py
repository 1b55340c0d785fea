"""The replay timeline: scrubbing shows the stored step's boundary, play-back, cap, export."""
import numpy as np
import pytest
from PIL import Image, ImageSequence
from PySide6.QtWidgets import QLabel
from test_stepthrough_stage_view import make_trainer

from engine.data.playground2d import FRAME
from engine.graph import build_model
from engine.snapshots import SnapshotStore
from playground.stepthrough.frame_export import (export_gif, export_png_frames, to_pil,
                                                 widget_renderer)
from playground.stepthrough.timeline import TimelineView, frame_steps


def grid_points(trainer, size: int = 30) -> np.ndarray:
    """Network inputs for a grid over the 2-D frame (what the boundary plot evaluates)."""
    axis = np.linspace(-FRAME, FRAME, size, dtype=np.float32)
    gx, gy = np.meshgrid(axis, axis)
    return trainer.preprocessor.transform(np.stack([gx.ravel(), gy.ravel()], axis=1))


@pytest.fixture
def run():
    """40 training steps with a snapshot and the true decision grid kept at every step."""
    trainer = make_trainer()
    store = SnapshotStore()
    points = grid_points(trainer)
    grids = {0: trainer.model.predict(points)}
    store.add(0, trainer.model.state_dict(), copy=False)
    for _ in range(40):
        step = trainer.step().step
        store.add(step, trainer.model.state_dict(), copy=False)
        grids[step] = trainer.model.predict(points)
    return trainer, store, points, grids


def test_scrubbing_to_step_k_shows_the_boundary_the_model_had_at_k(qtbot, run):
    trainer, store, points, grids = run
    timeline = TimelineView(store)
    qtbot.addWidget(timeline)
    replay = build_model(trainer.project.network, tuple(trainer.preprocessor.input_shape), 1)
    shown = {}

    def draw(step, state):
        replay.load_state_dict(state)
        shown[step] = replay.predict(points)

    timeline.stepChosen.connect(draw)
    assert timeline.slider.maximum() == 40 and timeline.current_step == 40
    assert "41 snapshots" in timeline.memory_label.text()
    for position in (0, 7, 23, 40):
        with qtbot.waitSignal(timeline.stepChosen) as signal:
            timeline.slider.setValue(position)
        assert signal.args[0] == position
    timeline.set_step(12)
    for step, grid in shown.items():
        np.testing.assert_array_equal(grid, grids[step])
    assert sorted(shown) == [0, 7, 12, 23, 40]
    assert timeline.step_label.text() == "step 12 of 40"


def test_refresh_picks_up_new_snapshots_quietly_and_play_walks_every_step(qtbot, run):
    trainer, store, points, grids = run
    timeline = TimelineView(store)
    qtbot.addWidget(timeline)
    timeline.set_step(30)
    emitted = []
    timeline.stepChosen.connect(lambda step, state: emitted.append(step))
    for _ in range(5):
        record = trainer.step()
        store.add(record.step, trainer.model.state_dict(), copy=False)
    timeline.refresh()
    assert emitted == [] and timeline.current_step == 30 and timeline.slider.maximum() == 45
    timeline.fps_box.setValue(60)
    timeline.play()                                        # from the chosen step to the end
    assert timeline.is_playing and "Pause" in timeline.play_button.text()
    qtbot.waitUntil(lambda: not timeline.is_playing, timeout=5000)
    assert emitted == list(range(31, 46))
    emitted.clear()
    timeline.play()                                        # at the end: starts over
    qtbot.waitUntil(lambda: not timeline.is_playing, timeout=5000)
    assert emitted == list(range(0, 46))


def test_cap_box_thins_the_store(qtbot):
    store = SnapshotStore(cap_mb=64)
    weights = {"w": np.zeros(200_000, np.float32)}          # 0.8 MB per snapshot
    for step in range(30):
        store.add(step, weights)
    timeline = TimelineView(store)
    qtbot.addWidget(timeline)
    timeline.cap_box.setValue(8)
    assert store.cap_mb == 8 and len(store) == 10
    assert store.memory_bytes() <= 8 * 1024 * 1024
    assert timeline.slider.maximum() == 9 and "10 snapshots" in timeline.memory_label.text()


def colour_frame(step: int, state=None) -> np.ndarray:
    """A 12×16 frame whose red channel encodes the step."""
    frame = np.zeros((12, 16, 3), np.uint8)
    frame[..., 0] = step * 5
    return frame


def test_export_gif_and_png_frames(qtbot, tmp_path, run):
    trainer, store, points, grids = run
    timeline = TimelineView(store)
    qtbot.addWidget(timeline)
    assert not timeline.export_button.isEnabled()
    timeline.set_frame_renderer(colour_frame)
    assert timeline.export_button.isEnabled()
    timeline.set_step(10)
    after_export = []
    timeline.stepChosen.connect(lambda step, state: after_export.append(step))
    [gif] = timeline.export_animation(tmp_path / "run.gif")
    with Image.open(gif) as image:
        frames = [frame.convert("RGB") for frame in ImageSequence.Iterator(image)]
        assert image.info["duration"] == 100 and image.info.get("loop") == 0
    assert len(frames) == 41 and frames[0].size == (16, 12)
    assert [np.asarray(f)[0, 0, 0] for f in frames[:3]] == [0, 5, 10]
    assert after_export == [10]                             # the views are put back
    pngs = timeline.export_animation(tmp_path / "frames")
    assert [p.name for p in pngs[:2]] == ["frame_0000.png", "frame_0001.png"] and len(pngs) == 41
    assert np.asarray(Image.open(pngs[7]))[0, 0, 0] == 35
    few = timeline.export_animation(tmp_path / "few", max_frames=5)   # long runs are thinned
    assert [int(np.asarray(Image.open(p))[0, 0, 0]) // 5 for p in few] == [0, 10, 20, 30, 40]
    assert frame_steps(list(range(7)), 3) == [0, 3, 6] and frame_steps([4, 9], 3) == [4, 9]


def test_widget_frames_and_mixed_sizes(qtbot, tmp_path):
    label = QLabel("step")
    qtbot.addWidget(label)
    label.resize(80, 30)
    render = widget_renderer(label, lambda step: label.setText(f"step {step}"))
    paths = export_png_frames(render, [1, 2], tmp_path)
    assert Image.open(paths[0]).size == to_pil(label.grab()).size
    assert label.text() == "step 2"
    sizes = {0: (10, 10), 1: (20, 30)}
    gif = export_gif(lambda step: np.full((*sizes[step], 4), 100 * step, np.uint8), [0, 1],
                     tmp_path / "a.gif", fps=5)
    with Image.open(gif) as image:
        assert image.n_frames == 2 and image.size == (10, 10) and image.info["duration"] == 200
    with pytest.raises(ValueError, match="no steps"):
        export_gif(colour_frame, [], tmp_path / "b.gif")
    with pytest.raises(TypeError):
        to_pil(np.zeros((4, 4), np.float32))


def test_nearest_position_prefers_the_earlier_step_on_a_tie():
    from engine.snapshots import nearest_index as nearest_position
    steps = [0, 10, 20, 40]
    assert [nearest_position(steps, s) for s in (-5, 0, 4, 5, 6, 30, 31, 99)] == \
        [0, 0, 0, 0, 1, 2, 3, 3]
    assert nearest_position([7], 100) == 0


def test_store_revision_changes_with_every_add_drop_and_clear():
    from engine.snapshots import SnapshotStore
    store = SnapshotStore()
    seen = {store.revision}
    store.add(1, {"w": np.zeros(3)})
    seen.add(store.revision)
    store.add(1, {"w": np.ones(3)})     # a replacement drops and adds
    seen.add(store.revision)
    store.clear()
    seen.add(store.revision)
    assert len(seen) == 4
