"""Guided tour over the real main window: highlights, card placement, tabs, keys, skipping."""
from __future__ import annotations

import re

from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtWidgets import QWidget

from playground.help_dialogs import TOUR_PAGES, GuidedTour, card_position
from app_fixtures import CIRCLE, make_window, step_count  # noqa: F401


def shown_window(make_window, qtbot, width: int = 1600, height: int = 1000):
    """A main window on the circle project, shown and laid out at a size."""
    window = make_window(CIRCLE)
    window.resize(width, height)
    window.show()
    qtbot.waitExposed(window)
    qtbot.wait(50)
    return window


def start_tour(window, qtbot) -> GuidedTour:
    """Help ▸ Guided tour, as the menu does it."""
    window.help.show_tour()
    tour = window.help.tour
    qtbot.waitUntil(lambda: tour.isVisible() and tour.overlay.isVisible(), timeout=2000)
    return tour


def front_dock(window, title: str):
    """The dock in front of ``title``'s tab group (the one actually on screen)."""
    group = [window.docks[title], *window.tabifiedDockWidgets(window.docks[title])]
    return next(dock for dock in group if not dock.visibleRegion().isEmpty())


def test_every_page_highlights_its_panel_with_the_card_beside_it(make_window, qtbot) -> None:
    window = shown_window(make_window, qtbot)
    tour = start_tour(window, qtbot)
    seen = []
    tour.pageShown.connect(lambda index, name: seen.append(name))
    area = window.rect()
    assert tour.index == 0 and tour.highlight is None          # welcome: centred, no cut-out
    assert abs(tour.geometry().center().x() - area.center().x()) <= 2
    while True:
        qtbot.wait(20)          # the card settles once Qt has laid out a raised tab
        name = TOUR_PAGES[tour.index][1]
        card = tour.geometry()
        assert area.contains(card), name
        if name:
            target = window.findChild(QWidget, name)
            centre = target.mapTo(window, target.rect().center())
            highlight = tour.highlight
            assert highlight is not None and highlight.contains(centre), name
            assert not card.intersects(highlight), name
            # The highlighted panel stays usable: the overlay's mask has a hole there.
            assert not tour.overlay.mask().contains(centre)
            assert window.childAt(centre) is not tour.overlay
            # Elsewhere the dimming takes the clicks.
            corners = (QPoint(2, 2), QPoint(area.right() - 2, 2), QPoint(2, area.bottom() - 2),
                       QPoint(area.right() - 2, area.bottom() - 2))
            outside = [c for c in corners if not highlight.contains(c) and not card.contains(c)]
            assert outside and all(tour.overlay.mask().contains(c) for c in outside)
            assert window.childAt(outside[0]) is tour.overlay
        if tour.next_button.text() == "Finish":
            break
        # → goes to the tour while the card has focus, not to the window's Step shortcut.
        qtbot.keyClick(tour.next_button, Qt.Key.Key_Right)
    expected = [page[1] for page in TOUR_PAGES[1:] if page[1] != "samplesView"]
    assert seen == expected                   # image views hidden for 2-D data: skipped
    assert tour.progress.text() == f"{len(expected) + 1} of {len(expected) + 1}"
    qtbot.keyClick(tour.next_button, Qt.Key.Key_Left)
    assert tour.next_button.text() == "Next"
    with qtbot.waitSignal(tour.finished, timeout=2000):
        qtbot.keyClick(tour.next_button, Qt.Key.Key_Right)
        qtbot.keyClick(tour.next_button, Qt.Key.Key_Return)
    assert not tour.isVisible() and not tour.overlay.isVisible()
    assert step_count(window) == 0


def test_tabified_dock_is_raised_and_put_back_after_escape(make_window, qtbot) -> None:
    window = shown_window(make_window, qtbot)
    before = front_dock(window, "Neurons")
    tour = start_tour(window, qtbot)
    names = [page[1] for page in TOUR_PAGES]
    targets = {"neuronView": "Neurons", "stepThroughPanel": "Step-through"}
    for name, title in targets.items():
        tour._show_page(names.index(name))
        qtbot.waitUntil(lambda t=title: front_dock(window, t) is window.docks[t], timeout=2000)
        qtbot.wait(20)
        dock = window.docks[title]
        assert tour.highlight.contains(dock.geometry().center())
    tour._show_page(names.index("neuronView"))
    qtbot.waitUntil(lambda: front_dock(window, "Neurons") is window.docks["Neurons"])
    window.activateWindow()
    qtbot.keyClick(window.editor, Qt.Key.Key_Escape)    # Esc works anywhere in the window
    assert not tour.running and not tour.isVisible() and not tour.overlay.isVisible()
    assert tour.highlight is None
    qtbot.waitUntil(lambda: front_dock(window, "Neurons") is before, timeout=2000)


def test_missing_and_hidden_targets_are_skipped(make_window, qtbot) -> None:
    window = shown_window(make_window, qtbot)
    window.docks["Loss"].close()
    pages = (("Start", "", "<p>Hello</p>"), ("Gone", "noSuchPanel", "<p>Not here</p>"),
             ("Loss", "lossPlot", "<p>Closed dock</p>"), ("Data", "dataPanel", "<p>Data</p>"))
    tour = GuidedTour(window, pages)
    tour.show()
    assert tour.available_pages() == [0, 3]
    assert tour.progress.text() == "1 of 2"
    qtbot.mouseClick(tour.next_button, Qt.MouseButton.LeftButton)
    assert tour.index == 3 and tour.next_button.text() == "Finish"
    assert tour.progress.text() == "2 of 2"
    # A panel closed while its page is on show: the highlight goes, the card stays.
    window.docks["Data"].close()
    qtbot.waitUntil(lambda: tour.highlight is None, timeout=2000)
    assert tour.isVisible()
    tour.end()


def test_canvas_page_is_skipped_behind_the_start_page(make_window, qtbot) -> None:
    window = shown_window(make_window, qtbot)
    window.help.show_start_page()
    tour = start_tour(window, qtbot)
    names = [TOUR_PAGES[i][1] for i in tour.available_pages()]
    assert "networkEditor" not in names and "dataPanel" in names
    tour.end()


def test_starting_again_replaces_the_running_tour(make_window, qtbot) -> None:
    window = shown_window(make_window, qtbot)
    first = start_tour(window, qtbot)
    first.advance()
    second = start_tour(window, qtbot)
    assert not first.running and not first.isVisible() and not first.overlay.isVisible()
    assert second.running and second.index == 0
    assert [t for t in window.findChildren(GuidedTour) if t.running] == [second]
    second.end()


def test_card_stays_inside_a_small_window(make_window, qtbot) -> None:
    window = shown_window(make_window, qtbot, 1000, 700)
    tour = start_tour(window, qtbot)
    while True:
        qtbot.wait(20)
        assert window.rect().contains(tour.geometry()), TOUR_PAGES[tour.index][0]
        if tour.next_button.text() == "Finish":
            break
        tour.advance()
    tour.end()


def test_card_position_prefers_a_free_side_and_falls_back_inside() -> None:
    area = QRect(0, 0, 1000, 800)
    # Room on the right.
    assert card_position(area, QRect(0, 100, 300, 300), 340, 200).x() > 300
    # No room on the right: left.
    assert card_position(area, QRect(600, 100, 390, 300), 340, 200).x() + 340 < 600
    # A panel filling the window: the card sits inside it, still within the window.
    point = card_position(area, QRect(0, 0, 1000, 800), 340, 200)
    assert area.contains(QRect(point.x(), point.y(), 340, 200))


def test_tour_text_matches_the_app() -> None:
    from engine import catalog
    from engine.registry import LAYERS, OPTIMIZERS, SOURCES
    from playground.help_dialogs import SHORTCUTS
    catalog.load_all()
    text = {title: re.sub(r"<[^>]+>", "", body) for title, _name, body in TOUR_PAGES}
    layer_words = {"dense": "dense", "conv2d": "convolution", "maxpool2d": "pooling",
                   "avgpool2d": "pooling", "flatten": "flatten", "reshape": "reshape",
                   "dropout": "dropout", "batchnorm": "batch normalisation",
                   "activation": "activation", "add": "add", "concat": "concat"}
    assert set(LAYERS.names()) == set(layer_words)
    assert all(word in text["Layers"] for word in layer_words.values())
    generated = [name for name in SOURCES.names() if SOURCES.entries[name].kind == "2d"
                 and name != "points"]
    assert all(name in text["Data"] for name in generated)
    assert all(name in text["Training settings"] for name in OPTIMIZERS.names())
    keys = " ".join(keys for keys, _ in SHORTCUTS)
    for key in ("Ctrl+D", "Ctrl+0", "Ctrl+L", "Ctrl+Z", "Space", "F1", "Delete"):
        assert key in keys
