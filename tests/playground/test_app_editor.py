"""Editing through the real window: palette, canvas, properties, undo/redo, errors, files."""
from __future__ import annotations

import json

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QLabel, QListWidget, QSpinBox

from app_fixtures import CIRCLE, make_window  # noqa: F401
from playground.editor.items import EdgeItem, NodeItem


def nodes(window) -> list[NodeItem]:
    """Layer nodes on the canvas (the input node excluded)."""
    return [item for item in window.editor.scene().items()
            if isinstance(item, NodeItem) and not item.is_input]


def test_build_a_network_with_the_editor(make_window, qtbot):
    window = make_window(CIRCLE)
    editor = window.editor
    # Empty the network through the canvas: select each node and delete it.
    while window.session.layers:
        window.session.select(0)
        editor.delete_selected()
    window.run_analysis()
    assert not window.findChild(QAction, "actionTrain").isEnabled()
    palette = window.findChild(QListWidget, "layerPalette")
    names = [palette.item(i).data(Qt.UserRole) for i in range(palette.count())]
    assert {"dense", "conv2d", "add", "concat", "dropout"} <= set(names)
    dense = palette.item(names.index("dense"))
    palette.itemDoubleClicked.emit(dense)          # appends after the selection
    palette.itemDoubleClicked.emit(dense)
    assert [layer["type"] for layer in window.session.layers] == ["dense", "dense"]
    assert window.session.selected == 1
    # Edit the last layer's settings through the generated property form.
    units = window.properties.form.findChild(QSpinBox, "param_units")
    units.setValue(1)
    activation = window.properties.form.widgets["activation"]
    activation.setCurrentIndex(activation.findData("sigmoid"))
    window.run_analysis()
    assert window.session.layers[1] == {"type": "dense", "units": 1, "activation": "sigmoid"}
    assert len(nodes(window)) == 2
    edges = [item for item in editor.scene().items() if isinstance(item, EdgeItem)]
    assert sorted(edge.label.text() for edge in edges) == ["(2,)", "(8,)"]
    assert window.findChild(QAction, "actionTrain").isEnabled()
    # Duplicate and reorder, then auto-layout and zoom keep working.
    window.session.select(0)
    editor.duplicate_selected()
    assert len(window.session.layers) == 3 and window.session.selected == 1
    window.session.select(2)
    editor.move_selected(-1)
    assert window.session.selected == 1
    assert [layer["units"] for layer in window.session.layers] == [8, 1, 8]
    editor.auto_layout()
    editor.zoom(1.2)


def test_undo_and_redo_every_edit(make_window, qtbot):
    window = make_window(CIRCLE)
    before = json.dumps(window.session.spec, sort_keys=True)
    window.session.select(0)
    window.editor.append_layer("dropout")
    window.editor.delete_selected()
    window.editor.append_layer("batchnorm")
    after = json.dumps(window.session.spec, sort_keys=True)
    assert window.session.dirty
    undo = window.findChild(QAction, "actionUndo")
    redo = window.findChild(QAction, "actionRedo")
    for _ in range(3):
        undo.trigger()
    assert json.dumps(window.session.spec, sort_keys=True) == before
    assert not window.session.dirty
    for _ in range(3):
        redo.trigger()
    assert json.dumps(window.session.spec, sort_keys=True) == after


def test_invalid_network_disables_training_with_the_reason(make_window, qtbot):
    window = make_window(CIRCLE)
    window.session.select(0)
    window.editor.append_layer("conv2d", after=-1)
    window.session.select(-1)
    window.run_analysis()
    train = window.findChild(QAction, "actionTrain")
    assert not train.isEnabled()
    banner = window.findChild(QLabel, "trainingBlocked")
    assert not banner.isHidden() and "conv2d" in banner.text()
    assert "conv2d" in train.toolTip()
    broken = [node for node in nodes(window) if node.error]
    assert len(broken) == 1 and "conv2d" in broken[0].toolTip()
    window.findChild(QAction, "actionUndo").trigger()
    window.run_analysis()
    assert train.isEnabled() and banner.isHidden()


def test_connect_ports_for_a_skip_connection(make_window, qtbot):
    window = make_window(CIRCLE)
    editor = window.editor
    layers = [{"type": "dense", "units": 4, "activation": "tanh"},
              {"type": "dense", "units": 4, "activation": "tanh"},
              {"type": "add"},
              {"type": "dense", "units": 1, "activation": "sigmoid"}]
    window.session.set_layers(layers, "skip")
    editor.connect_layers(0, 2)          # dense_1 → add, beside dense_2 → add
    window.run_analysis()
    assert window.session.layers[2]["inputs"] == ["dense_2", "dense_1"]
    assert window.analysis.error is None
    edges = [e for e in editor.scene().items() if isinstance(e, EdgeItem)]
    assert len(edges) == 5
    skip = next(e for e in edges if e.source_id == "dense_1" and e.target.index == 2)
    skip.setSelected(True)
    editor.delete_selected()                 # disconnect
    assert window.session.layers[2]["inputs"] == ["dense_2"]


def test_save_and_reopen_gives_the_same_project(make_window, qtbot, tmp_path):
    window = make_window(CIRCLE)
    window.session.select(1)
    window.editor.append_layer("dropout")
    path = tmp_path / "saved.json"
    window.session.save(path)
    assert not window.session.dirty
    reopened = make_window(str(path))
    assert reopened.session.project().to_json() == window.session.project().to_json()
    assert reopened.session.path == path


def test_trained_model_saves_and_reopens_with_its_weights(make_window, qtbot, tmp_path):
    window = make_window(CIRCLE)
    for _ in range(20):
        window.findChild(QAction, "actionStep").trigger()
    qtbot.waitUntil(lambda: window.worker.drain().step == 20 or window.trainer.steps == 20,
                    timeout=5000)
    path = window.files.save_model(tmp_path / "model.safetensors")
    assert path is not None and path.exists()
    weights = window.worker.call(lambda t: t.model.state_dict())
    reopened = make_window(str(path))
    loaded = reopened.worker.call(lambda t: t.model.state_dict())
    assert set(loaded) == set(weights)
    assert all((loaded[k] == weights[k]).all() for k in weights)
    assert reopened.findChild(QAction, "actionTrain").isEnabled()


def test_presets_menu_opens_every_preset(make_window, qtbot, tmp_path, monkeypatch):
    from tests.engine.test_mnist_preset import write_synthetic_mnist
    # MNIST is not bundled: the preset finds a synthetic stand-in in the current folder.
    write_synthetic_mnist(tmp_path / "mnist", count=60)
    monkeypatch.chdir(tmp_path / "mnist")
    from playground.images.idx_import_dialog import IdxImportDialog
    monkeypatch.setattr(IdxImportDialog, "exec", lambda dialog: pytest.fail("asked for files"))
    window = make_window(CIRCLE)
    presets = [a for a in window.findChildren(QAction) if a.objectName().startswith("preset_")]
    assert len(presets) >= 5
    for preset in presets:
        preset.trigger()
        window.run_analysis()
        assert window.analysis.error is None, (preset.objectName(), window.analysis.error)


def test_dropping_a_palette_layer_on_a_node_inserts_after_it(make_window, qtbot):
    from PySide6.QtCore import QMimeData, QPointF
    from PySide6.QtGui import QDropEvent
    from playground.editor.network_editor import MIME_LAYER
    window = make_window(CIRCLE)
    window.show()
    editor = window.editor
    target = next(node for node in nodes(window) if node.index == 0)
    point = editor.mapFromScene(target.sceneBoundingRect().center())
    mime = QMimeData()
    mime.setData(MIME_LAYER, b"dropout")
    event = QDropEvent(QPointF(point), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    editor.dropEvent(event)
    assert [layer["type"] for layer in window.session.layers] == ["dense", "dropout", "dense",
                                                                   "dense"]
    assert window.session.selected == 1
