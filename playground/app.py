"""Entry points of the desktop app: build the main window, or run the whole GUI."""
from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtWidgets import QApplication


def ensure_application() -> QApplication:
    """The running QApplication, created if there is none."""
    from playground.appinfo import apply_app_identity, configure_before_qapplication
    app = QApplication.instance()
    if app is None:
        configure_before_qapplication()
        app = QApplication(sys.argv[:1])
        app.setStyle("Fusion")
        apply_app_identity(app)
        from playground import theme
        theme.install_theme(app)
    return app


def create_main_window(project=None):
    """Build (not show) the main window on the running QApplication.

    ``project`` may be None (the default network), a path to a project ``.json`` or a model
    ``.safetensors``, a project dict, or an ``engine.project.Project``.
    """
    import pyqtgraph as pg

    from engine import catalog
    from playground.main_window import MainWindow
    from playground.session import Session

    ensure_application()
    from playground.gui_gc import install_gui_collector
    install_gui_collector()
    catalog.load_all()
    pg.setConfigOptions(antialias=False)
    session = Session()
    if project is None:
        session.new()
    elif isinstance(project, (str, Path)):
        if Path(project).suffix != ".safetensors":
            session.open(project)
    elif isinstance(project, dict):
        from engine.project import parse_project
        session.replace(parse_project(project).to_json(), None)
    else:
        session.replace(project.to_json(), project.path)
    window = MainWindow(session)
    session.setParent(window)
    from playground import theme
    # The scheme follows the palette actually in use (also one set by an embedding app).
    theme.use_scheme(theme.palette_scheme(QApplication.instance()))
    theme.add_theme_menu(window)
    from playground.image_docks import install_image_docks
    install_image_docks(window)
    theme.restyle(window)
    if isinstance(project, (str, Path)) and Path(project).suffix == ".safetensors":
        window.files.open_model(Path(project))
    return window


def run_gui(project_path: str | None = None) -> int:
    """Open the app (optionally with a project or model file) and run until it closes."""
    from engine.errors import ProjectError

    from playground.logsetup import setup_logging
    setup_logging()
    app = ensure_application()
    try:
        window = create_main_window(project_path)
    except ProjectError as error:
        print(f"layerlab: error: {error}", file=sys.stderr)
        return 2
    if project_path is None:
        window.show_start_page()
    window.show()
    return app.exec()
