"""The window's QActions with their automation names and shortcuts, made in one place."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence

from engine.data.idx import download_for


def make_actions(parent) -> dict[str, QAction]:
    """Create every action (not connected); keys are the objectNames without ``action``."""
    specs = [
        ("New", "&New", QKeySequence.New, "Start a new project"),
        ("Open", "&Open…", QKeySequence.Open, "Open a project (.json) or a trained model "
                                              "(.safetensors)"),
        ("Save", "&Save", QKeySequence.Save, "Save the project"),
        ("SaveAs", "Save &As…", QKeySequence.SaveAs, "Save the project under a new name"),
        ("SaveModel", "Save Trained &Model…", "Ctrl+Shift+M",
         "Save the trained weights with the project (.safetensors)"),
        ("Export", "&Export Model…", "Ctrl+E", "Export the trained model to ONNX, numpy or "
                                               "PyTorch"),
        ("Quit", "&Quit", QKeySequence.Quit, "Close LayerLab"),
        ("Undo", "&Undo", QKeySequence.Undo, "Undo the last edit"),
        ("Redo", "&Redo", QKeySequence.Redo, "Redo"),
        ("Train", "Train", "Space", "Train continuously / pause (Space)"),
        ("Step", "Step", None, "Train one mini-batch (→ or S)"),
        ("Reset", "Reset", "R", "Fresh weights from the seed; counters to zero (R)"),
        ("Delete", "Delete Layer", None, "Delete the selected layer or connection (Del)"),
        ("Duplicate", "Duplicate Layer", None, "Duplicate the selected layer (Ctrl+D)"),
        ("MoveUp", "Move Layer Earlier", None, "Move the selected layer earlier (Alt+←)"),
        ("MoveDown", "Move Layer Later", None, "Move the selected layer later (Alt+→)"),
        ("AutoLayout", "Auto Layout", None, "Lay the network out again (Ctrl+L)"),
        ("ZoomIn", "Zoom In", None, "Zoom the canvas in"),
        ("ZoomOut", "Zoom Out", None, "Zoom the canvas out"),
        ("Fit", "Fit Network", None, "Show the whole network (Ctrl+0)"),
    ]
    actions: dict[str, QAction] = {}
    for key, text, shortcut, tip in specs:
        action = QAction(text, parent)
        action.setObjectName(f"action{key}")
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.setToolTip(tip)
        action.setStatusTip(tip)
        actions[key] = action
    actions["Train"].setCheckable(True)
    actions["Step"].setShortcuts([QKeySequence(Qt.Key_Right), QKeySequence("S")])
    for key in ("Train", "Step", "Reset"):
        actions[key].setShortcutContext(Qt.WindowShortcut)
    return actions


class FileActions:
    """File menu handlers: new, open, save, save as, recent, presets, models, export, layout."""

    def __init__(self, window) -> None:
        self.window = window
        self.session = window.session
        self.settings = window.settings
        a = window.actions
        menu = window.menuBar().addMenu("&File")
        menu.addAction(a["New"])
        menu.addAction(a["Open"])
        self.recent_menu = menu.addMenu("Open &Recent")
        self.presets_menu = menu.addMenu("&Presets")
        menu.addSeparator()
        for key in ("Save", "SaveAs", "SaveModel", "Export"):
            menu.addAction(a[key])
        menu.addSeparator()
        menu.addAction(a["Quit"])
        window.menuBar().insertMenu(window.menuBar().actions()[0], menu)
        a["New"].triggered.connect(self.new)
        a["Open"].triggered.connect(lambda: self.open())
        a["Save"].triggered.connect(lambda: self.save())
        a["SaveAs"].triggered.connect(lambda: self.save(ask=True))
        a["SaveModel"].triggered.connect(lambda: self.save_model())
        a["Export"].triggered.connect(self.export)
        a["Quit"].triggered.connect(window.close)
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        self._fill_presets()

    # ------------------------------------------------------------------ prompts
    def confirm_discard(self) -> bool:
        """Ask before unsaved changes are lost; True when it is fine to go on."""
        from PySide6.QtWidgets import QMessageBox
        if not self.session.dirty:
            return True
        answer = QMessageBox.question(
            self.window, "Unsaved changes", "The project has unsaved changes. Save them first?",
            QMessageBox.Save | QMessageBox.Discard | QMessageBox.Cancel, QMessageBox.Save)
        if answer == QMessageBox.Save:
            return self.save() is not None
        return answer == QMessageBox.Discard

    def _error(self, title: str, error: Exception) -> None:
        from PySide6.QtWidgets import QMessageBox
        self.window.statusBar().showMessage(f"{title}: {error}", 15000)
        QMessageBox.warning(self.window, title, str(error))

    # ------------------------------------------------------------------ projects
    def new(self) -> None:
        """A fresh default project."""
        if self.confirm_discard():
            self.session.new()

    def open(self, path: str | None = None) -> bool:
        """Open a project (.json) or a trained model (.safetensors)."""
        from PySide6.QtWidgets import QFileDialog
        if not self.confirm_discard():
            return False
        if path is None:
            path, _ = QFileDialog.getOpenFileName(
                self.window, "Open project or model", self.settings.folder("projects"),
                "LayerLab files (*.json *.safetensors);;Projects (*.json);;Models (*.safetensors)")
            if not path:
                return False
        return self.open_path(path)

    def open_path(self, path: str | Path) -> bool:
        """Open without prompting; errors are shown and the current project stays."""
        from engine.errors import ProjectError
        path = Path(path)
        try:
            if path.suffix == ".safetensors":
                self.open_model(path)
            else:
                self.session.open(path)
        except (ProjectError, OSError, ValueError) as error:
            self._error("Cannot open file", error)
            return False
        self.settings.add_recent(path)
        self.settings.set_folder("projects", path)
        self.window.statusBar().showMessage(f"Opened {path.name}", 5000)
        return True

    def open_model(self, path: Path) -> None:
        """Load a model file: its project, data and weights; training can go on from there."""
        from engine.modelfile import load_model
        saved = load_model(path)
        self.window.pending_weights = saved.model.state_dict()
        spec = saved.project.to_json()
        self.session.replace(spec, None)
        self.window.run_analysis()

    def open_preset(self, name: str) -> None:
        """Open a bundled example (asking for data files it needs but that are not found)."""
        if self.confirm_discard():
            self.ask_for_idx_files(self.load_preset(name))

    def load_preset(self, preset: str | Path) -> list[str]:
        """Open a preset (name or path) unasked; returns the IDX files still missing."""
        return self.session.open_preset(preset, self._idx_folders())

    def ask_for_idx_files(self, missing: list[str]) -> bool:
        """Let the person point at missing IDX files; True when the project now uses them.

        Cancelling keeps the project open: the Data panel then says what is missing, and its
        "Open data file…" button opens the same dialog later.
        """
        from playground.images.idx_import_dialog import IdxImportDialog
        if not missing:
            return False
        data = self.session.spec["data"]
        download = download_for(" ".join(missing))
        what = f"the {download.name} files" if download else "IDX files"
        dialog = IdxImportDialog(self.session.base_dir, self.window)
        dialog.set_reason(f"“{self.session.spec.get('name', 'This project')}” trains on "
                          f"{what}, which LayerLab does not bundle, and {' and '.join(missing)} "
                          f"{'was' if len(missing) == 1 else 'were'} not found. Choose the "
                          f"downloaded files here.")
        dialog.set_sampling(data.get("limit"), data.get("test_fraction"))
        dialog.set_start_folder(next(iter(self._idx_folders()), None))
        if not dialog.exec():
            self.window.statusBar().showMessage(
                "No data files chosen: the Data panel says what is missing.", 10000)
            return False
        try:
            settings = dialog.data_settings()
        except ValueError as error:
            self._error("Cannot use these files", error)
            return False
        self.session.set_data({**data, **settings}, "Use the chosen IDX files")
        self.settings.set_folder("idx", Path(dialog.images_edit.text().strip()).expanduser()
                                 .resolve())
        return True

    def _idx_folders(self) -> list[Path]:
        """The folder IDX files were last chosen from, where presets look for theirs."""
        if not self.settings.store.contains("folders/idx"):
            return []
        return [Path(self.settings.folder("idx"))]

    def save(self, ask: bool = False) -> Path | None:
        """Save the project (asks for a name the first time or with ``ask``)."""
        from PySide6.QtWidgets import QFileDialog
        from engine.errors import ProjectError
        path = self.session.path
        if ask or path is None:
            start = str(Path(self.settings.folder("projects")) /
                        f"{self.session.spec.get('name', 'project')}.json")
            chosen, _ = QFileDialog.getSaveFileName(self.window, "Save project", start,
                                                    "Projects (*.json)")
            if not chosen:
                return None
            path = Path(chosen if chosen.endswith(".json") else chosen + ".json")
        try:
            saved = self.session.save(path)
        except (ProjectError, OSError) as error:
            self._error("Cannot save the project", error)
            return None
        self.settings.add_recent(saved)
        self.settings.set_folder("projects", saved)
        self.window.statusBar().showMessage(f"Saved {saved.name}", 5000)
        return saved

    # ------------------------------------------------------------------ models
    def save_model(self, path: str | Path | None = None) -> Path | None:
        """Write the trained weights with the project as .safetensors."""
        from PySide6.QtWidgets import QFileDialog
        from engine.modelfile import save_model
        if self.window.trainer is None:
            self.window.statusBar().showMessage("Nothing trained yet: fix the network first.",
                                                8000)
            return None
        if path is None:
            start = str(Path(self.settings.folder("models")) /
                        f"{self.session.spec.get('name', 'model')}.safetensors")
            path, _ = QFileDialog.getSaveFileName(self.window, "Save trained model", start,
                                                  "Models (*.safetensors)")
            if not path:
                return None
        path = Path(path)
        try:
            self.window.run_on_trainer(lambda trainer: save_model(path, trainer))
        except Exception as error:  # noqa: BLE001 - any failure is shown, the app goes on
            self._error("Cannot save the model", error)
            return None
        self.settings.set_folder("models", path)
        self.window.statusBar().showMessage(f"Saved model {path.name}", 5000)
        return path

    def export(self) -> None:
        """Open the export dialog on a copy of the current model."""
        import tempfile
        from engine.modelfile import load_model, save_model
        from playground.dialogs.export_dialog import ExportDialog
        if self.window.trainer is None:
            self.window.statusBar().showMessage("Nothing to export: fix the network first.",
                                                8000)
            return
        try:
            with tempfile.TemporaryDirectory() as folder:
                path = Path(folder) / "model.safetensors"
                self.window.run_on_trainer(lambda trainer: save_model(path, trainer))
                saved = load_model(path)
        except Exception as error:  # noqa: BLE001 - shown to the person
            self._error("Cannot export", error)
            return
        dialog = ExportDialog(saved, folder=self.settings.folder("models"), parent=self.window)
        dialog.exec()

    # ------------------------------------------------------------------ menus and layout
    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        files = self.settings.recent_files()
        if not files:
            self.recent_menu.addAction("(none)").setEnabled(False)
        for file in files:
            action = self.recent_menu.addAction(Path(file).name)
            action.setToolTip(file)
            action.triggered.connect(lambda _=False, f=file: self.open(f))

    def _fill_presets(self) -> None:
        from engine.resources import resource_path
        folder = resource_path("presets")
        for preset in sorted(folder.glob("*.json")) if folder.is_dir() else []:
            action = self.presets_menu.addAction(preset.stem.replace("_", " "))
            action.setObjectName(f"preset_{preset.stem}")
            action.triggered.connect(lambda _=False, n=preset.stem: self.open_preset(n))

    def restore_layout(self) -> None:
        """Window geometry and dock layout from the last run."""
        geometry, state = self.settings.window_state()
        if geometry is not None:
            self.window.restoreGeometry(geometry)
        if state is not None:
            self.window.restoreState(state)

    def save_layout(self) -> None:
        """Remember window geometry and dock layout."""
        self.settings.save_window(self.window.saveGeometry(), self.window.saveState())


class HelpActions:
    """Help menu (shortcuts, guided tour, about) and the start page shown in the canvas' place."""

    def __init__(self, window) -> None:
        self.window = window
        self.tour = None
        menu = window.menuBar().addMenu("&Help")
        menu.addAction("Keyboard Shortcuts", self.show_shortcuts)
        menu.addAction("Guided Tour", self.show_tour)
        menu.addAction("About LayerLab", self.show_about)

    def show_shortcuts(self) -> None:
        """The keyboard shortcuts table."""
        from playground.help_dialogs import ShortcutsDialog
        ShortcutsDialog(self.window).exec()

    def show_tour(self) -> None:
        """The non-modal guided tour over the panels."""
        from playground.help_dialogs import GuidedTour
        self.tour = GuidedTour(self.window)
        self.tour.show()

    def show_about(self) -> None:
        """Version and licences."""
        from playground.help_dialogs import AboutDialog
        AboutDialog(self.window).exec()

    def show_start_page(self) -> None:
        """The preset gallery replaces the canvas until a preset, new or open is chosen."""
        from playground.start_page import StartPage
        page = StartPage()
        page.presetChosen.connect(self._start_with_file)
        page.newEmptyRequested.connect(self._start_new)
        page.openRequested.connect(self._start_open)
        page.tourRequested.connect(self.show_tour)
        self.window.central_stack.addWidget(page)
        self.window.central_stack.setCurrentWidget(page)

    def hide_start_page(self) -> None:
        """Back to the network canvas."""
        self.window.central_stack.setCurrentWidget(self.window.editor)

    def _start_with_file(self, path: str) -> None:
        from engine.errors import ProjectError
        files = self.window.files
        if not files.confirm_discard():
            return
        try:
            missing = files.load_preset(Path(path))
        except (ProjectError, OSError) as error:
            self.window.statusBar().showMessage(str(error), 10000)
            return
        # The project shows behind the dialog that asks for any missing data files.
        self.hide_start_page()
        files.ask_for_idx_files(missing)

    def _start_new(self) -> None:
        self.window.files.new()
        self.hide_start_page()

    def _start_open(self) -> None:
        if self.window.files.open():
            self.hide_start_page()
