"""The ``layerlab`` command line: train, evaluate, predict, export, summary, datasets, gui.

Exit codes (SPEC.md): 0 done; 2 bad input (one line ``layerlab: error: FILE: WHERE: WHAT``,
nothing written); 3 training diverged; 1 an unexpected internal error (one line; the
traceback only with ``LAYERLAB_DEBUG=1``).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import traceback
from pathlib import Path
from typing import Sequence

from engine import __version__
from engine.errors import ProjectError

EXIT_OK = 0
EXIT_INTERNAL = 1
EXIT_BAD_INPUT = 2
EXIT_DIVERGED = 3


class UsageError(Exception):
    """A command-line usage problem (argparse's complaint), rendered as one line."""


class _Parser(argparse.ArgumentParser):
    """argparse that raises instead of printing a multi-line usage block and exiting."""

    def error(self, message: str) -> None:  # type: ignore[override]
        """Turn argparse's complaint into a UsageError naming the (sub)command."""
        raise UsageError(f"{self.prog}: {message}")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every ``layerlab`` command."""
    parser = _Parser(prog="layerlab", description="LayerLab: a neural-network playground with "
                     "a from-scratch numpy engine. Without a command, opens the desktop app.")
    parser.add_argument("--version", action="version", version=f"layerlab {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    gui = commands.add_parser("gui", help="open the desktop app")
    gui.add_argument("project", nargs="?", metavar="PROJECT",
                     help="project file (.json) or model file (.safetensors) to open")

    train = commands.add_parser("train", help="train a project without a window")
    train.add_argument("project", metavar="PROJECT", help="project file (.json)")
    train.add_argument("--epochs", type=int, metavar="N", help="override training.epochs")
    train.add_argument("--seed", type=int, metavar="N", help="override the project's seed")
    train.add_argument("--out", metavar="DIR", help="output folder (default: "
                       "runs/<project file name> in the current folder)")
    train.add_argument("--quiet", action="store_true", help="print only the final line")

    evaluate = commands.add_parser("evaluate", help="print a model's metrics on a project's "
                                   "data as JSON")
    evaluate.add_argument("model", metavar="MODEL", help="model file (.safetensors)")
    evaluate.add_argument("project", metavar="PROJECT", help="project file whose data to use")

    predict = commands.add_parser("predict", help="predict from a .csv, a .npy or images")
    predict.add_argument("model", metavar="MODEL", help="model file (.safetensors)")
    predict.add_argument("inputs", nargs="+", metavar="INPUT",
                         help="a .csv (feature columns with a header), a .npy, or .png/.jpg files")
    predict.add_argument("-o", "--output", metavar="OUT", help="CSV file to write "
                         "(default: standard output)")

    export = commands.add_parser("export", help="export a model to ONNX, numpy or PyTorch")
    export.add_argument("model", metavar="MODEL", help="model file (.safetensors)")
    export.add_argument("--format", required=True, choices=("onnx", "numpy", "pytorch"),
                        help="what to write")
    export.add_argument("-o", "--output", required=True, metavar="OUT",
                        help="file to write (model.onnx, or model.py for numpy/pytorch)")

    summary = commands.add_parser("summary", help="table of layers, shapes, parameters, FLOPs")
    summary.add_argument("target", metavar="PROJECT_OR_MODEL",
                         help="a project file (.json) or a model file (.safetensors)")

    commands.add_parser("datasets", help="list the built-in data sources and their settings")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one ``layerlab`` command and return its exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except UsageError as error:
        return _fail(f"command line: {error}")
    except SystemExit as done:  # --help and --version print and exit through argparse
        return int(done.code or 0)
    handlers = {None: _run_gui, "gui": _run_gui, "train": _run_train,
                "evaluate": _run_evaluate, "predict": _run_predict, "export": _run_export,
                "summary": _run_summary, "datasets": _run_datasets}
    try:
        return handlers[args.command](args)
    except ProjectError as error:
        return _fail(str(error))
    except KeyboardInterrupt:
        print("layerlab: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (e.g. `layerlab datasets | head`): not an error of ours. Point
        # stdout at devnull so the interpreter's final flush does not complain (Python docs).
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
    except Exception as error:  # noqa: BLE001 - the last line of defence for people
        if os.environ.get("LAYERLAB_DEBUG") == "1":
            traceback.print_exc()
        message = " ".join(f"{type(error).__name__}: {error}".split())
        print(f"layerlab: internal error: {message} (set LAYERLAB_DEBUG=1 for the traceback)",
              file=sys.stderr)
        return EXIT_INTERNAL


def _fail(message: str) -> int:
    """Print a bad-input message as exactly one line and return exit code 2."""
    print("layerlab: error: " + " ".join(message.split()), file=sys.stderr)
    return EXIT_BAD_INPUT


# ----------------------------------------------------------------------------- commands
def _run_gui(args: argparse.Namespace) -> int:
    """Open the desktop app (optionally with a project)."""
    project = getattr(args, "project", None)
    if project is not None:
        # A bad file is reported here, as one line, before Qt starts.
        if _looks_like_model(Path(project)):
            from engine.modelfile import load_model
            load_model(project)
        else:
            from engine.project import load_project
            load_project(project)
    if _no_display():
        print("layerlab: error: no display found (DISPLAY and WAYLAND_DISPLAY are unset); run "
              "the app on a desktop, or use the command line (layerlab --help)", file=sys.stderr)
        return EXIT_INTERNAL
    from playground.app import run_gui
    return int(run_gui(project) or 0)


def _no_display() -> bool:
    """True on Linux without a display server and without an explicit Qt platform.

    Qt would otherwise abort the process with a core dump and a page of plugin messages.
    """
    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM"):
        return False
    return not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def _run_train(args: argparse.Namespace) -> int:
    """``layerlab train``: see playground/cli_train.py."""
    from playground.cli_train import train_command
    return train_command(args.project, epochs=args.epochs, seed=args.seed, out=args.out,
                         quiet=args.quiet)


def _run_evaluate(args: argparse.Namespace) -> int:
    """``layerlab evaluate``: metrics of a model on a project's data, as JSON on stdout."""
    from playground.cli_inference import evaluate_model
    result = evaluate_model(args.model, args.project)
    print(json.dumps(result, indent=2))
    return EXIT_OK


def _run_predict(args: argparse.Namespace) -> int:
    """``layerlab predict``: CSV of predictions to a file or stdout."""
    from playground.cli_inference import predict_command
    text, count = predict_command(args.model, args.inputs, args.output)
    if args.output is None:
        sys.stdout.write(text)
    else:
        print(f"wrote {count} predictions to {args.output}", file=sys.stderr)
    return EXIT_OK


def _run_export(args: argparse.Namespace) -> int:
    """``layerlab export``: write the model as ONNX, a numpy module or a PyTorch module."""
    from engine.export import export_model
    from engine.modelfile import load_model
    saved = load_model(args.model)
    for path in export_model(saved, args.format, Path(args.output)):
        print(path)
    return EXIT_OK


def _run_summary(args: argparse.Namespace) -> int:
    """``layerlab summary``: the layer table of a project file or a model file."""
    from engine.summary import summary_table
    target = Path(args.target)
    if _looks_like_model(target):
        from engine.modelfile import load_model
        saved = load_model(target)
        title = f"{saved.project.name} (model {target.name})"
        model = saved.model
    else:
        from engine.project import load_project, prepare
        project = load_project(target)
        model = prepare(project).model
        title = f"{project.name} (project {target.name})"
    print(summary_table(model, title=title))
    return EXIT_OK


def _looks_like_model(path: Path) -> bool:
    """A model file by suffix, or (any suffix) by not starting like JSON."""
    if path.suffix.lower() == ".safetensors":
        return True
    if path.suffix.lower() == ".json" or not path.is_file():
        return False
    with open(path, "rb") as stream:
        start = stream.read(64).lstrip(b"\xef\xbb\xbf \t\r\n")
    return not start.startswith(b"{")


def _run_datasets(args: argparse.Namespace) -> int:
    """``layerlab datasets``: every data source with its settings."""
    from playground.cli_inference import describe_datasets
    print(describe_datasets())
    return EXIT_OK
