"""Whether a view can be seen, so views skip drawing what nobody sees."""
from __future__ import annotations

from PySide6.QtWidgets import QWidget


def on_screen(widget: QWidget) -> bool:
    """True when some of ``widget`` can be seen.

    A dock tab behind another stays "visible" to Qt (it is only moved off screen), so
    ``isVisible`` alone would have hidden tabs redraw every snapshot; the visible region is
    empty for them.
    """
    return widget.isVisible() and not widget.visibleRegion().isEmpty()
