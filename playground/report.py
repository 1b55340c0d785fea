"""The training report picture (report.png), drawn with matplotlib's Agg canvas: no Qt needed."""
from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

# TF Playground's colours: orange for negative / class 0, blue for positive / class 1.
ORANGE = "#f59322"
GREY = "#e8eaeb"
BLUE = "#0877bd"
# Further classes (blobs with more than two) continue with well-separated hues.
CLASS_COLOURS = (ORANGE, BLUE, "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
                 "#7f7f7f", "#bcbd22", "#17becf")
GRID_LIMIT = 6.0
GRID_SIZE = 120


@dataclass
class ReportData:
    """Everything the report shows; ``predict`` maps raw samples to probabilities or values."""

    title: str
    task: str                                  # "classification" | "regression"
    kind: str                                  # "2d" | "image" | "vector"
    history: list[dict]                        # one dict per epoch: epoch, train_loss, ...
    final: dict
    predict: Callable[[np.ndarray], np.ndarray]
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    classes: list[str] | None = None
    diverged: bool = False
    notes: list[str] = field(default_factory=list)


def playground_colormap():
    """TF Playground's diverging orange-grey-blue colour map."""
    from matplotlib.colors import LinearSegmentedColormap
    return LinearSegmentedColormap.from_list("playground", [ORANGE, GREY, BLUE])


def title_line(data: ReportData) -> str:
    """The title: project name and the final metrics."""
    final = data.final
    parts = [data.title]
    if data.task == "classification":
        parts.append(f"test accuracy {_pct(final.get('test_accuracy'))}"
                     f" (train {_pct(final.get('train_accuracy'))})")
    else:
        parts.append(f"test R² {_num(final.get('test_r2'))} (train {_num(final.get('train_r2'))})")
    parts.append(f"test loss {_num(final.get('test_loss'))}")
    if data.diverged:
        parts.append("DIVERGED")
    return " — ".join(parts)


def render_report(data: ReportData) -> bytes:
    """Draw the report and return it as PNG bytes."""
    # A diverged run's curves and outputs may hold inf/nan: draw them without numpy warnings.
    with np.errstate(all="ignore"):
        return _render(data)


def _render(data: ReportData) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(15, 4.6), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.subplots(1, 3)
    _plot_curves(axes[0], data, "loss", "train_loss", "test_loss")
    if data.task == "classification":
        _plot_curves(axes[1], data, "accuracy", "train_accuracy", "test_accuracy")
    else:
        _plot_curves(axes[1], data, "R²", "train_r2", "test_r2")
    _plot_outputs(axes[2], data)
    figure.suptitle(title_line(data), fontsize=12)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _plot_curves(ax, data: ReportData, label: str, train_key: str, test_key: str) -> None:
    epochs = [row["epoch"] for row in data.history]
    for key, colour, name in ((train_key, ORANGE, "train"), (test_key, BLUE, "test")):
        values = [_finite(row.get(key)) for row in data.history]
        ax.plot(epochs, values, color=colour, label=name, marker="." if len(epochs) < 30 else None)
    from matplotlib.ticker import MaxNLocator
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("epoch")
    ax.set_ylabel(label)
    ax.set_title(label)
    ax.grid(alpha=0.3)
    ax.legend()


def _plot_outputs(ax, data: ReportData) -> None:
    if data.kind == "2d" and data.x_test.ndim == 2 and data.x_test.shape[1] == 2:
        _plot_plane(ax, data)
    elif data.task == "classification":
        _plot_confusion(ax, data)
    else:
        _plot_fit(ax, data)


def _plot_plane(ax, data: ReportData) -> None:
    """Decision boundary (or predicted value) over [-6, 6]² with the data points on top."""
    axis = np.linspace(-GRID_LIMIT, GRID_LIMIT, GRID_SIZE)
    grid_x1, grid_x2 = np.meshgrid(axis, axis)
    grid = np.stack([grid_x1.ravel(), grid_x2.ravel()], axis=1).astype(data.x_test.dtype)
    output = np.asarray(data.predict(grid), dtype=np.float64)
    extent = (-GRID_LIMIT, GRID_LIMIT, -GRID_LIMIT, GRID_LIMIT)
    if data.task == "classification" and output.shape[1] == 2:
        # Like the playground: p(class 1) in [0, 1] mapped to orange..grey..blue.
        image = output[:, 1].reshape(GRID_SIZE, GRID_SIZE)
        shown = ax.imshow(image, origin="lower", extent=extent, cmap=playground_colormap(),
                          vmin=0.0, vmax=1.0, alpha=0.75, aspect="auto")
        ax.figure.colorbar(shown, ax=ax, label="p(class 1)")
    elif data.task == "classification":
        winner = output.argmax(axis=1)
        confidence = output.max(axis=1)
        colours = _class_rgb(winner)
        # Fade towards white where the model is unsure.
        faded = 1.0 - (1.0 - colours) * (0.15 + 0.4 * confidence[:, None])
        ax.imshow(faded.reshape(GRID_SIZE, GRID_SIZE, 3), origin="lower", extent=extent,
                  aspect="auto")
    else:
        values = output[:, 0].reshape(GRID_SIZE, GRID_SIZE)
        span = float(np.max(np.abs(values))) or 1.0
        shown = ax.imshow(values, origin="lower", extent=extent, cmap=playground_colormap(),
                          vmin=-span, vmax=span, alpha=0.75, aspect="auto")
        ax.figure.colorbar(shown, ax=ax, label="prediction")
    for x, y, edge, name in ((data.x_train, data.y_train, "white", "train"),
                             (data.x_test, data.y_test, "black", "test")):
        if len(x) == 0:
            continue
        if data.task == "classification":
            colours = _class_rgb(np.asarray(y, dtype=np.int64).ravel())
            ax.scatter(x[:, 0], x[:, 1], c=colours, s=14, edgecolors=edge, linewidths=0.6,
                       label=name)
        else:
            ax.scatter(x[:, 0], x[:, 1], c=np.asarray(y, dtype=np.float64)[:, 0],
                       cmap=playground_colormap(), s=14, edgecolors=edge, linewidths=0.6,
                       label=name)
    ax.set_xlim(-GRID_LIMIT, GRID_LIMIT)
    ax.set_ylim(-GRID_LIMIT, GRID_LIMIT)
    ax.set_xlabel("x1")
    ax.set_ylabel("x2")
    ax.set_title("output over the plane (edges: white train, black test)")


def _class_rgb(labels: np.ndarray) -> np.ndarray:
    from matplotlib.colors import to_rgb
    palette = np.array([to_rgb(c) for c in CLASS_COLOURS])
    return palette[labels % len(palette)]


def _shown_split(data: ReportData) -> tuple[np.ndarray, np.ndarray, str]:
    """The test split, or the training split when nothing was held out."""
    if len(data.x_test):
        return data.x_test, data.y_test, "test"
    return data.x_train, data.y_train, "train"


def _plot_confusion(ax, data: ReportData) -> None:
    """Confusion matrix on the test split (rows: true class, columns: predicted)."""
    x, y, split = _shown_split(data)
    truth = np.asarray(y, dtype=np.int64).ravel()
    n_classes = len(data.classes or []) or int(truth.max(initial=0)) + 1
    predicted = np.asarray(data.predict(x)).argmax(axis=1)
    matrix = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(matrix, (truth, predicted), 1)
    ax.imshow(matrix, cmap="Blues")
    names = data.classes or [str(i) for i in range(n_classes)]
    ticks = np.arange(n_classes)
    ax.set_xticks(ticks, names, rotation=90 if n_classes > 12 else 0, fontsize=8)
    ax.set_yticks(ticks, names, fontsize=8)
    if n_classes <= 15:
        threshold = matrix.max() / 2 if matrix.size else 0
        for (row, col), count in np.ndenumerate(matrix):
            ax.text(col, row, str(count), ha="center", va="center", fontsize=7,
                    color="white" if count > threshold else "black")
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(f"confusion matrix ({split})")


def _plot_fit(ax, data: ReportData) -> None:
    """Predicted against true values on the test split (first target)."""
    x, y, split = _shown_split(data)
    predicted = np.asarray(data.predict(x), dtype=np.float64)[:, 0]
    truth = np.asarray(y, dtype=np.float64).reshape(len(predicted), -1)[:, 0]
    ax.scatter(truth, predicted, s=10, color=BLUE, alpha=0.7)
    low, high = float(min(truth.min(), predicted.min())), float(max(truth.max(), predicted.max()))
    ax.plot([low, high], [low, high], color=ORANGE, linewidth=1)
    ax.set_xlabel("true")
    ax.set_ylabel("predicted")
    ax.set_title(f"predicted vs true ({split})")


def _finite(value) -> float:
    return float(value) if value is not None and np.isfinite(value) else float("nan")


def _pct(value) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def _num(value) -> str:
    return "-" if value is None else f"{value:.4g}"
