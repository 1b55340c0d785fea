"""Training-step throughput of the numpy engine against PyTorch (CPU) measured in the same run.

Run: ``python tests/benchmarks/bench_ops.py [--quick]`` (or ``pytest -s tests/benchmarks/bench_ops.py``).
Prints steps per second and the engine/PyTorch ratio; never fails on timing. Each figure is
the best of several interleaved rounds, so another process briefly stealing a core hurts both
sides alike rather than one of them.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Callable

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from engine import catalog  # noqa: E402
from engine.graph import build_model  # noqa: E402
from engine.optim import make_optimizer  # noqa: E402
from engine.registry import LOSSES  # noqa: E402
from engine.tensor import Tensor  # noqa: E402
from timing import blas_description, interleaved_best, load_average, timed_chunk  # noqa: E402

catalog.load_all()

TINY_LAYERS = [{"type": "dense", "units": 8, "activation": "tanh"},
               {"type": "dense", "units": 8, "activation": "tanh"},
               {"type": "dense", "units": 8, "activation": "tanh"},
               {"type": "dense", "units": 1, "activation": "sigmoid"}]
CNN_LAYERS = [{"type": "conv2d", "filters": 8, "kernel_size": 3, "padding": "same", "activation": "relu"},
              {"type": "conv2d", "filters": 16, "kernel_size": 3, "padding": "same", "activation": "relu"},
              {"type": "maxpool2d", "pool_size": 2},
              {"type": "flatten"},
              {"type": "dense", "units": 10, "activation": "softmax"}]
BLOCK_LAYERS = [{"type": "conv2d", "filters": 16, "kernel_size": 3, "padding": "same", "activation": "relu"},
                {"type": "maxpool2d", "pool_size": 2},
                {"type": "flatten"},
                {"type": "dense", "units": 10, "activation": "softmax"}]


def engine_step(layers: list[dict], input_shape: tuple, loss_name: str, optimizer: dict,
                x: np.ndarray, y: np.ndarray, input_grad: bool = False) -> Callable[[], float]:
    """One engine training step (forward, loss, backward, update) as a closure."""
    model = build_model(layers, input_shape, seed=0)
    opt = make_optimizer(model.named_parameters(), optimizer)
    loss_fn = LOSSES.entries[loss_name]()

    def step() -> float:
        opt.zero_grad()
        loss = loss_fn(model.forward(Tensor(x, requires_grad=input_grad)), y)
        loss.backward()
        opt.step()
        return float(loss.data)
    return step


def torch_step(kind: str, x: np.ndarray, y: np.ndarray, input_grad: bool = False):
    """The same step in PyTorch, or None when torch is not installed."""
    try:
        import torch
    except ImportError:
        return None
    nn = torch.nn
    if kind == "tiny":
        model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 8), nn.Tanh(),
                              nn.Linear(8, 8), nn.Tanh(), nn.Linear(8, 1))
        loss_fn, opt = nn.BCEWithLogitsLoss(), torch.optim.Adam(model.parameters(), lr=0.01)
        target = torch.tensor(y, dtype=torch.float32).reshape(-1, 1)
    else:
        channels = x.shape[1]
        convs = ([nn.Conv2d(channels, 8, 3, padding=1), nn.ReLU()] if kind == "cnn" else [])
        last = 8 if kind == "cnn" else channels
        model = nn.Sequential(*convs, nn.Conv2d(last, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                              nn.Flatten(), nn.Linear(16 * 14 * 14, 10))
        loss_fn, opt = nn.CrossEntropyLoss(), torch.optim.SGD(model.parameters(), lr=0.01)
        target = torch.tensor(y)
    data = torch.tensor(x)

    def step() -> float:
        opt.zero_grad()
        inputs = data.requires_grad_(True) if input_grad else data
        loss = loss_fn(model(inputs), target)
        loss.backward()
        opt.step()
        return float(loss.detach())
    return step


def best_rate(steps: dict[str, Callable[[], float]], count: int, rounds: int = 5) -> dict[str, float]:
    """Steps per second of each closure: best of ``rounds`` interleaved rounds of ``count``."""
    # Warm up right before each timed chunk: the other library's BLAS/OpenMP threads may still
    # be spinning from its own chunk, and that should not be charged to this one.
    chunks = {name: timed_chunk(step, count, warm=max(count // 5, 2)) for name, step in steps.items()}
    return interleaved_best(chunks, rounds, warm_up=False)


def report(title: str, rates: dict[str, float]) -> None:
    """Print one benchmark line."""
    ours = rates["engine"]
    line = f"{title:58s} engine {ours:9.1f} steps/s"
    if "torch" in rates:
        line += f"   torch {rates['torch']:9.1f} steps/s   ratio {ours / rates['torch']:.2f}x"
    print(line, flush=True)


def run(scale: float = 1.0, rounds: int = 5) -> dict[str, dict[str, float]]:
    """Run every benchmark; ``scale`` shrinks the step counts for a quick pass."""
    rng = np.random.default_rng(0)
    results = {}
    x = rng.standard_normal((10, 2)).astype(np.float32)
    y = rng.integers(0, 2, 10)
    steps = {"engine": engine_step(TINY_LAYERS, (2,), "binary_crossentropy",
                                   {"type": "adam", "learning_rate": 0.01}, x, y)}
    reference = torch_step("tiny", x, y)
    if reference:
        steps["torch"] = reference
    results["tiny"] = best_rate(steps, int(400 * scale), rounds)
    report("MLP 2-8-8-8-1 tanh, BCE, Adam, batch 10", results["tiny"])

    for kind, layers, channels, input_grad, title in [
        ("block", BLOCK_LAYERS, 8, True, "conv 8->16 3x3 same + relu + maxpool 2, 28x28, batch 64"),
        ("cnn", CNN_LAYERS, 1, False, "CNN conv 1->8->16 + maxpool + dense 10, 28x28, batch 64"),
    ]:
        x = rng.standard_normal((64, channels, 28, 28)).astype(np.float32)
        y = rng.integers(0, 10, 64)
        steps = {"engine": engine_step(layers, (channels, 28, 28), "categorical_crossentropy",
                                       {"type": "sgd", "learning_rate": 0.01}, x, y, input_grad)}
        reference = torch_step(kind, x, y, input_grad)
        if reference:
            steps["torch"] = reference
        results[kind] = best_rate(steps, max(int(20 * scale), 2), rounds)
        report(title, results[kind])
    return results


def single_threaded():
    """Context: numpy's BLAS and PyTorch both on one thread.

    On a shared 2-core machine a second BLAS/OpenMP thread that cannot get a core stalls every
    GEMM, and PyTorch suffers more from it than numpy; one thread each gives a steadier ratio.
    """
    import contextlib

    from threadpoolctl import threadpool_limits

    @contextlib.contextmanager
    def limit():
        try:
            import torch
            previous = torch.get_num_threads()
            torch.set_num_threads(1)
        except ImportError:
            torch = None
        try:
            with threadpool_limits(limits=1, user_api="blas"):
                yield
        finally:
            if torch is not None:
                torch.set_num_threads(previous)
    return limit()


def main() -> None:
    """Print the benchmark table: default threads, then one thread each."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer steps and rounds (rough)")
    args = parser.parse_args()
    scale, rounds = (0.25, 2) if args.quick else (1.0, 5)
    try:
        import torch
        print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    except ImportError:
        print("torch not installed: engine figures only")
    print(f"numpy {np.__version__}, BLAS: {blas_description()}")
    print(f"at start: {load_average()}")
    print("-- default threads")
    run(scale, rounds)
    print("-- one thread each (numpy BLAS and torch)")
    with single_threaded():
        run(scale, rounds)
    print(f"at end: {load_average()}")


def test_benchmark_prints_ratios() -> None:
    """A quick pass (for ``pytest tests/benchmarks``): runs, prints, asserts nothing on timing."""
    results = run(scale=0.2)
    assert all(rates["engine"] > 0 for rates in results.values())


if __name__ == "__main__":
    main()
