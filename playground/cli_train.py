"""``layerlab train``: validate everything, train with progress, then write the run's files.

Writes into the output folder (default ``runs/<project file name>`` under the current folder):
``model.safetensors``, ``metrics.csv``, ``summary.json`` and ``report.png``, each atomically.
Nothing is created before the project, its data and its network have all been checked.
"""
from __future__ import annotations

import csv
import io
import json
import math
import os
import sys
import time
from pathlib import Path
from typing import TextIO

from engine.errors import ProjectError, os_reason
from engine.fileio import atomic_write_bytes, atomic_write_text, check_output_path
from playground.progress import Progress, format_metric

COMMAND_LINE = "command line"
EXIT_OK = 0
EXIT_DIVERGED = 3
EXIT_INTERRUPTED = 130  # the shell's code for Ctrl-C


def default_out_dir(project_path: str | Path) -> Path:
    """``runs/<project file name without .json>`` in the current folder."""
    return Path("runs") / Path(project_path).stem


def check_out_dir(out_dir: Path) -> None:
    """Refuse an output path that cannot be a folder we can write (before any training)."""
    check_output_path(out_dir, "--out")
    probe = out_dir
    while not probe.exists():
        if probe.parent == probe:
            break
        probe = probe.parent
    if probe.exists() and not probe.is_dir():
        raise ProjectError(str(probe), "--out", "is a file, not a folder; give a folder for "
                           "the run's files")
    if probe.exists() and not os.access(probe, os.W_OK | os.X_OK):
        raise ProjectError(str(probe), "--out", "permission denied; choose a folder you can "
                           "write to")


def train_command(project_path: str, epochs: int | None = None, seed: int | None = None,
                  out: str | None = None, quiet: bool = False,
                  stream: TextIO | None = None) -> int:
    """Train the project and write the run's files; return 0, or 3 when training diverged."""
    from engine.project import EPOCHS, SEED, load_project, prepare
    from engine.trainer import Trainer

    stream = stream or sys.stdout
    started = time.perf_counter()
    project = load_project(project_path)
    if epochs is not None:
        project.training["epochs"] = EPOCHS.validate(epochs, COMMAND_LINE, "--epochs")
    if seed is not None:
        project.seed = SEED.validate(seed, COMMAND_LINE, "--seed")
    out_dir = Path(out) if out else default_out_dir(project_path)
    check_out_dir(out_dir)
    prepared = prepare(project)
    trainer = Trainer(project, prepared)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ProjectError(str(out_dir), "--out", f"cannot create the folder: "
                                                  f"{os_reason(error)}") from None

    total_epochs = int(project.training["epochs"])
    metric = "accuracy" if trainer.task == "classification" else "r2"
    mode = "quiet" if quiet else ("bar" if stream.isatty() else "lines")
    progress = Progress(stream, mode, total_epochs, trainer.steps_per_epoch, metric)
    evaluations: list[dict] = []
    interrupted = False
    try:
        run_training(trainer, total_epochs, progress, evaluations)
    except KeyboardInterrupt:
        # Ctrl-C: keep what was learned so far; the files below are still written.
        interrupted = True

    final = final_metrics(trainer, evaluations, remeasure=interrupted)
    model_path = out_dir / "model.safetensors"
    from engine.modelfile import load_model, save_model
    save_model(model_path, trainer)
    atomic_write_text(out_dir / "metrics.csv", metrics_csv(trainer.history))
    atomic_write_bytes(out_dir / "report.png",
                       report_png(trainer, load_model(model_path), evaluations, final))
    # Written last so "seconds" covers the whole run, report included.
    seconds = time.perf_counter() - started
    summary = summary_record(trainer, final, seconds, project_path)
    summary["interrupted"] = interrupted
    atomic_write_text(out_dir / "summary.json", json.dumps(summary, indent=2) + "\n")
    progress.final(final_line(project.name, trainer, final, time.perf_counter() - started,
                              out_dir))
    if interrupted:
        print(f"layerlab: interrupted after {trainer.steps} steps; wrote the run so far to "
              f"{out_dir}", file=sys.stderr)
        return EXIT_INTERRUPTED
    if trainer.diverged:
        print(f"layerlab: training diverged at step {trainer.diverged_step} (the loss or the "
              f"weights stopped being finite); saved the last finite weights in {model_path}; "
              "try a lower training.optimizer.learning_rate", file=sys.stderr)
        return EXIT_DIVERGED
    return EXIT_OK


def run_training(trainer, total_epochs: int, progress: Progress,
                 evaluations: list[dict] | None = None) -> list[dict]:
    """Step until ``total_epochs`` epochs are done or training diverges.

    Appends one evaluation per finished epoch to ``evaluations`` and returns it (``epoch`` plus
    every key of ``evaluate()``, including R² for regression, which metrics.csv does not carry);
    the caller's list keeps the finished epochs if the run is interrupted.
    """
    evaluations = [] if evaluations is None else evaluations
    last_quality: float | None = None
    while trainer.epoch < total_epochs:
        record = trainer.step()
        if record.diverged:
            break
        quality = record.accuracy if record.accuracy is not None else last_quality
        progress.step(record.epoch + 1, record.step, record.loss, quality)
        if record.epoch_end:
            row = trainer.record_history()
            evaluation = dict(trainer.last_evaluation or {})
            evaluation["epoch"] = row["epoch"]
            evaluations.append(evaluation)
            if trainer.task == "regression":
                last_quality = evaluation.get("train_r2")
            progress.epoch_end(row["epoch"], row["step"], evaluation)
    return evaluations


def _clean(value) -> float | None:
    """A JSON-safe number: non-finite values become null."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def final_metrics(trainer, evaluations: list[dict], remeasure: bool = False) -> dict:
    """The summary's ``final`` block, measured on the weights that are being saved."""
    # After a divergence the weights were put back (and after an interruption they moved on
    # since the last epoch), so measure them rather than reuse the last epoch's figures.
    if remeasure or trainer.diverged or not evaluations:
        evaluation = trainer.evaluate()
    else:
        evaluation = evaluations[-1]
    final = {"train_loss": _clean(evaluation.get("train_loss")),
             "test_loss": _clean(evaluation.get("test_loss")),
             "train_accuracy": _clean(evaluation.get("train_accuracy")),
             "test_accuracy": _clean(evaluation.get("test_accuracy"))}
    if trainer.task == "regression":
        final["train_accuracy"] = final["test_accuracy"] = None
        final["train_r2"] = _clean(evaluation.get("train_r2"))
        final["test_r2"] = _clean(evaluation.get("test_r2"))
    return final


def metrics_csv(history: list[dict]) -> str:
    """metrics.csv: SPEC's columns, one row per epoch; missing values are empty cells."""
    from engine.records import METRICS_COLUMNS
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(METRICS_COLUMNS)
    for row in history:
        cells = []
        for column in METRICS_COLUMNS:
            value = row.get(column)
            if value is None or (isinstance(value, float) and not math.isfinite(value)):
                cells.append("")
            elif isinstance(value, float):
                cells.append(f"{value:.8g}")
            else:
                cells.append(str(value))
        writer.writerow(cells)
    return buffer.getvalue()


def summary_record(trainer, final: dict, seconds: float, project_path: str) -> dict:
    """summary.json: SPEC's fields first, then a few helpful extras."""
    return {
        "epochs": trainer.epoch,
        "steps": trainer.steps,
        "seconds": round(seconds, 3),
        "samples_per_second": round(trainer.samples_per_second, 1),
        "diverged": bool(trainer.diverged),
        "final": final,
        "diverged_step": trainer.diverged_step,
        "name": trainer.project.name,
        "project": str(project_path),
        "seed": trainer.seed,
        "task": trainer.task,
        "parameters": int(trainer.model.param_count()),
        "training_seconds": round(trainer.training_seconds, 3),
        "evaluation_seconds": round(trainer.evaluation_seconds, 3),
    }


def report_png(trainer, saved, evaluations: list[dict], final: dict) -> bytes:
    """The report picture, drawn from the saved model so it shows exactly what was written."""
    from playground.report import ReportData, render_report
    dataset = trainer.dataset
    data = ReportData(title=trainer.project.name, task=trainer.task, kind=dataset.kind,
                      history=evaluations, final=final, predict=saved.predict,
                      x_train=dataset.x_train, y_train=dataset.y_train,
                      x_test=dataset.x_test, y_test=dataset.y_test,
                      classes=dataset.classes, diverged=bool(trainer.diverged))
    return render_report(data)


def final_line(name: str, trainer, final: dict, seconds: float, out_dir: Path) -> str:
    """The closing line: final test metric, effort, where the files went."""
    if trainer.task == "classification":
        quality = (f"test accuracy {format_metric(final['test_accuracy'])} "
                   f"(train {format_metric(final['train_accuracy'])})")
    else:
        quality = (f"test R2 {format_metric(final['test_r2'])} "
                   f"(train {format_metric(final['train_r2'])})")
    status = " DIVERGED;" if trainer.diverged else ""
    return (f"{name}:{status} {quality}, test loss {format_metric(final['test_loss'])}; "
            f"{trainer.epoch} epochs, {trainer.steps} steps in {seconds:.1f} s; "
            f"wrote {out_dir}")
