"""The start page lists the presets, draws their data, and reports what the person picked."""
from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton

from playground.start_page import (PresetCard, StartPage, describe_network, describe_preset,
                                   load_presets)


def _write(folder: Path, name: str, project: dict) -> Path:
    path = folder / f"{name}.json"
    path.write_text(json.dumps(project), encoding="utf-8")
    return path


@pytest.fixture
def presets_dir(tmp_path: Path) -> Path:
    _write(tmp_path, "spiral", {
        "layerlab": 1, "name": "Spiral", "seed": 3,
        "data": {"source": "spiral", "samples": 200, "noise": 0.1},
        "network": {"layers": [{"type": "dense", "units": 8, "activation": "tanh"},
                               {"type": "dense", "units": 1, "activation": "sigmoid"}]}})
    _write(tmp_path, "digits", {
        "layerlab": 1, "name": "Digits", "data": {"source": "digits"},
        "network": {"layers": [{"type": "conv2d", "filters": 4, "kernel_size": 3},
                               {"type": "flatten"}, {"type": "dense", "units": 10}]}})
    _write(tmp_path, "table", {"layerlab": 1, "name": "My table",
                               "data": {"source": "csv", "path": "missing.csv", "target": "y"},
                               "network": {"layers": []}})
    (tmp_path / "broken.json").write_text("{not json", encoding="utf-8")
    return tmp_path


def test_descriptions_name_the_data_and_the_layers() -> None:
    assert describe_network([{"type": "dense", "units": 8}, {"type": "dense", "units": 1}]) \
        == "dense 8 → 1"
    assert describe_network([{"type": "conv2d", "filters": 16}, {"type": "maxpool2d"},
                             {"type": "flatten"}, {"type": "dense", "units": 10}]) \
        == "conv 16 → maxpool → dense 10"
    line = describe_preset({"data": {"source": "spiral", "features": ["x1", "x2", "sin(x1)"]},
                            "network": {"layers": [{"type": "dense", "units": 4}]}})
    assert line == "Spiral, 3 features · dense 4"


def test_load_presets_skips_broken_files_and_sorts_by_name(presets_dir: Path) -> None:
    names = [info.name for info in load_presets(presets_dir)]
    assert names == ["Digits", "My table", "Spiral"]


def test_bundled_presets_each_get_a_card(qtbot) -> None:
    page = StartPage()
    qtbot.addWidget(page)
    bundled = load_presets()
    assert len(page.cards) == len(bundled)
    assert [card.info.name for card in page.cards] == [info.name for info in bundled]


def test_cards_show_thumbnails_and_click_emits_preset_path(qtbot, presets_dir: Path) -> None:
    page = StartPage(presets_dir)
    qtbot.addWidget(page)
    page.resize(900, 600)
    with qtbot.waitSignal(page.thumbnailsReady, timeout=10_000):
        page.show()
    cards = page.findChildren(PresetCard)
    assert len(cards) == 3
    for card in cards:
        pixmap = card.thumbnail.pixmap()
        assert card.has_thumbnail and not pixmap.isNull()
    # The spiral thumbnail holds both class colours (orange and blue points).
    spiral = next(card for card in cards if card.info.name == "Spiral")
    image = spiral.thumbnail.pixmap().toImage()
    colours = {image.pixelColor(x, y).name() for x in range(0, image.width(), 2)
               for y in range(0, image.height(), 2)}
    assert "#f59322" in colours and "#0877bd" in colours
    with qtbot.waitSignal(page.presetChosen, timeout=2_000) as blocker:
        qtbot.mouseClick(spiral, Qt.MouseButton.LeftButton)
    assert blocker.args == [str(presets_dir / "spiral.json")]


def test_action_buttons_emit_their_signals(qtbot, tmp_path: Path) -> None:
    page = StartPage(tmp_path)
    qtbot.addWidget(page)
    page.show()
    assert page.cards == [] and page.empty_label.isVisibleTo(page)
    for button, signal in ((page.new_button, page.newEmptyRequested),
                           (page.open_button, page.openRequested),
                           (page.tour_button, page.tourRequested)):
        with qtbot.waitSignal(signal, timeout=2_000):
            qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def test_every_control_has_a_tooltip(qtbot, presets_dir: Path) -> None:
    page = StartPage(presets_dir)
    qtbot.addWidget(page)
    buttons = page.findChildren(QPushButton)
    assert len(buttons) == 3 + 3
    assert all(button.toolTip() for button in buttons)


def test_gallery_reflows_to_the_width(qtbot) -> None:
    page = StartPage()
    qtbot.addWidget(page)
    page.resize(460, 600)
    page.show()
    qtbot.waitUntil(lambda: page.grid.columnCount() >= 1)
    narrow = {page.grid.getItemPosition(page.grid.indexOf(card))[1] for card in page.cards}
    page.resize(1300, 600)
    qtbot.waitUntil(lambda: len({page.grid.getItemPosition(page.grid.indexOf(card))[1]
                                 for card in page.cards}) > len(narrow))


def test_idx_preset_thumbnail_shows_its_images(tmp_path: Path) -> None:
    from playground.start_page import render_thumbnail
    rng = np.random.default_rng(0)
    images = np.zeros((40, 12, 12), dtype=np.uint8)
    images[:, 3:9, 5:7] = 255  # a bar in every image, so the mosaic has dark pixels
    labels = rng.integers(0, 4, size=40).astype(np.uint8)
    (tmp_path / "imgs.idx").write_bytes(b"\x00\x00\x08\x03" + struct.pack(">III", 40, 12, 12)
                                        + images.tobytes())
    (tmp_path / "labels.idx").write_bytes(b"\x00\x00\x08\x01" + struct.pack(">I", 40)
                                          + labels.tobytes())
    _write(tmp_path, "idx", {"layerlab": 1, "name": "IDX", "network": {"layers": []},
                             "data": {"source": "idx", "images": "imgs.idx",
                                      "labels": "labels.idx"}})
    info = load_presets(tmp_path)[0]
    image = render_thumbnail(info).toImage()
    greys = {image.pixelColor(x, y).name() for x in range(0, image.width(), 2)
             for y in range(0, image.height(), 2)}
    # Black bars on white: a mosaic of the images, not the app icon's blues and oranges.
    assert "#000000" in greys and "#ffffff" in greys and "#f59322" not in greys


def test_card_text_wraps_instead_of_being_cut(qtbot) -> None:
    page = StartPage()
    qtbot.addWidget(page)
    for card in page.cards:
        shown = (card.title.text() + " " + card.caption.text()).replace("\n", " ")
        assert "…" not in shown, shown
        # Every word of the name and the description is on the card (lines, not elisions).
        assert shown.replace("\u00a0", " ").split() == \
            (card.info.name + " " + card.info.description.replace(" · ", " ")).split()
        assert card.info.description in card.toolTip() and card.info.name in card.toolTip()
        metrics = card.caption.fontMetrics()
        width = card.width() - 2 * card.layout().contentsMargins().left()
        assert all(metrics.horizontalAdvance(line) <= width
                   for line in card.caption.text().split("\n"))
        assert card.height() >= card.content_height()
    assert len({card.height() for card in page.cards}) == 1


def test_fit_lines_wraps_at_spaces_and_elides_only_beyond_the_last_line(qtbot) -> None:
    from PySide6.QtWidgets import QLabel

    from playground.start_page import fit_lines, keep_together
    metrics = QLabel().fontMetrics()
    width = metrics.horizontalAdvance("dense 256 → dropout")
    text = keep_together("8x8 digits\ndense 256 → dropout → dense 10")
    assert fit_lines(text, metrics, width, 4) == ["8x8 digits", "dense\u00a0256 →\u00a0dropout",
                                                  "→\u00a0dense\u00a010"]
    cut = fit_lines("one two three four five six seven eight", metrics,
                    metrics.horizontalAdvance("one two"), 2)
    assert len(cut) == 2 and cut[0] == "one two" and cut[1].endswith("…")
    assert all(metrics.horizontalAdvance(line) <= metrics.horizontalAdvance("one two")
               for line in cut)
