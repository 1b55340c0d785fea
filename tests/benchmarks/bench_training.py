"""Training-speed benchmark: LayerLab's Trainer against PyTorch and hand-written numpy.

Run on demand: ``python tests/benchmarks/bench_training.py`` (``--quick`` for a short run).
Every reference is measured in the same run on the same machine, and only ratios are meant to
be compared across machines. It never fails on timing; it prints a table and the BLAS in use.
"""
from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from engine.project import parse_project, prepare  # noqa: E402
from engine.trainer import Trainer  # noqa: E402
from timing import blas_description, interleaved_best, load_average  # noqa: E402

try:
    import torch
except ImportError:  # the benchmark still runs, with numpy references only
    torch = None


ROUNDS = 5  # each contender runs once per round; rounds interleave them against load bursts


# --------------------------------------------------------------------------- LayerLab
def layerlab_trainer(data: dict, layers: list[dict], loss: str, optimizer: dict,
                     batch_size: int, base_dir: Path | None = None) -> Trainer:
    """A Trainer for a project given as plain dicts, exactly as a project file would be."""
    raw = {"layerlab": 1, "name": "bench", "seed": 0, "data": data,
           "network": {"layers": layers},
           "training": {"loss": loss, "optimizer": optimizer, "batch_size": batch_size,
                        "epochs": 1}}
    project = parse_project(raw, None, base_dir)
    return Trainer(project, prepare(project))


def layerlab_run(trainer: Trainer, steps: int, per: str):
    """A timed chunk of ``trainer.step()`` calls (steps or samples per chunk)."""
    def run():
        start = time.perf_counter()
        for _ in range(steps):
            trainer.step()
        seconds = time.perf_counter() - start
        return (steps * trainer.batch_size if per == "samples" else steps), seconds
    return run


# ------------------------------------------------------------------------------ torch
def torch_run(model, loss_fn, optimizer, x: np.ndarray, y: np.ndarray, batch_size: int,
              steps: int, per: str, threads: int = 2):
    """The same loop in PyTorch: shuffled mini-batches, forward, loss, backward, step.

    ``threads`` is set before every chunk: with other work on the machine, two OpenMP threads
    can make tiny ops far slower than one, so the tiny net is measured both ways.
    """
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    generator = torch.Generator().manual_seed(0)

    def run():
        torch.set_num_threads(threads)
        order = torch.randperm(len(xt), generator=generator)
        start = time.perf_counter()
        for i in range(steps):
            index = order[(i * batch_size) % (len(xt) - batch_size + 1):][:batch_size]
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(model(xt[index]), yt[index])
            loss.backward()
            optimizer.step()
        seconds = time.perf_counter() - start
        return (steps * batch_size if per == "samples" else steps), seconds
    return run


# ------------------------------------------------------------------ hand-written numpy
class NumpyAdam:
    """Adam on a list of arrays, written out the obvious way (the reference floor)."""

    def __init__(self, params: list[np.ndarray], lr: float) -> None:
        self.params, self.lr, self.t = params, lr, 0
        self.m = [np.zeros_like(p) for p in params]
        self.v = [np.zeros_like(p) for p in params]

    def step(self, grads: list[np.ndarray]) -> None:
        """One Adam step with bias correction."""
        self.t += 1
        c1, c2 = 1 - 0.9 ** self.t, 1 - 0.999 ** self.t
        for p, g, m, v in zip(self.params, grads, self.m, self.v):
            m += 0.1 * (g - m)
            v += 0.001 * (g * g - v)
            p -= self.lr / c1 * m / (np.sqrt(v / c2) + 1e-8)


class NumpySGD:
    """Plain SGD on a list of arrays."""

    def __init__(self, params: list[np.ndarray], lr: float) -> None:
        self.params, self.lr = params, lr

    def step(self, grads: list[np.ndarray]) -> None:
        """p -= lr·g."""
        for p, g in zip(self.params, grads):
            p -= self.lr * g


def numpy_mlp_run(sizes: list[int], hidden: str, x: np.ndarray, y: np.ndarray,
                  batch_size: int, steps: int, optimizer: str, per: str):
    """A hand-written numpy MLP: relu/tanh hidden layers, softmax-CE or sigmoid-BCE output."""
    rng = np.random.default_rng(0)
    weights = [(rng.standard_normal((a, b)) * math.sqrt(2 / a)).astype(np.float32)
               for a, b in zip(sizes[:-1], sizes[1:])]
    biases = [np.zeros(b, dtype=np.float32) for b in sizes[1:]]
    params = weights + biases
    opt = NumpyAdam(params, 0.001) if optimizer == "adam" else NumpySGD(params, 0.01)
    binary = sizes[-1] == 1

    def train_step(xb: np.ndarray, yb: np.ndarray) -> None:
        acts = [xb]
        for i, (w, b) in enumerate(zip(weights, biases)):
            z = acts[-1] @ w + b
            if i < len(weights) - 1:
                z = np.tanh(z) if hidden == "tanh" else np.maximum(z, 0)
            acts.append(z)
        logits = acts[-1]
        if binary:
            grad = (1 / (1 + np.exp(-logits)) - yb[:, None]) / len(xb)
        else:
            e = np.exp(logits - logits.max(axis=1, keepdims=True))
            grad = e / e.sum(axis=1, keepdims=True)
            grad[np.arange(len(xb)), yb] -= 1
            grad /= len(xb)
        w_grads, b_grads = [None] * len(weights), [None] * len(weights)
        for i in range(len(weights) - 1, -1, -1):
            w_grads[i] = acts[i].T @ grad
            b_grads[i] = grad.sum(axis=0)
            if i:
                grad = grad @ weights[i].T
                grad = grad * (1 - acts[i] ** 2) if hidden == "tanh" else grad * (acts[i] > 0)
        opt.step(w_grads + b_grads)

    def run():
        order = rng.permutation(len(x))
        start = time.perf_counter()
        for i in range(steps):
            offset = (i * batch_size) % (len(x) - batch_size + 1)
            index = order[offset:offset + batch_size]
            train_step(x[index], y[index])
        seconds = time.perf_counter() - start
        return (steps * batch_size if per == "samples" else steps), seconds
    return run


# --------------------------------------------------------------------------- scenarios
def mnist_like(samples: int) -> tuple[np.ndarray, np.ndarray]:
    """Random 28×28 'images' in [0, 1] with 10 labels (speed does not depend on content)."""
    rng = np.random.default_rng(1)
    return rng.random((samples, 1, 28, 28), dtype=np.float32), rng.integers(0, 10, samples)


def record(rows: list, name: str, unit: str, contenders: dict, rounds: int) -> None:
    """Time the contenders (LayerLab first) and add a result row."""
    rates = interleaved_best(contenders, rounds)
    ours = rates.pop("LayerLab")
    rows.append((name, unit, ours, rates))
    print(f"  {name}: " + ", ".join(f"{k} {v:,.0f}" for k, v in [("LayerLab", ours),
                                                                *rates.items()]), flush=True)


def bench_mlp(folder: Path, steps: int, rounds: int, rows: list) -> None:
    """784-256-128-10 relu MLP, Adam, batch 128: samples per second."""
    x, y = mnist_like(6400)
    flat = x.reshape(len(x), -1)
    np.savez(folder / "mlp.npz", x=flat, y=y)
    trainer = layerlab_trainer(
        {"source": "npz", "path": "mlp.npz", "test_fraction": 0.0},
        [{"type": "dense", "units": 256, "activation": "relu"},
         {"type": "dense", "units": 128, "activation": "relu"},
         {"type": "dense", "units": 10, "activation": "softmax"}],
        "categorical_crossentropy", {"type": "adam"}, 128, folder)
    contenders = {"LayerLab": layerlab_run(trainer, steps, "samples"),
                  "numpy": numpy_mlp_run([784, 256, 128, 10], "relu", flat, y, 128, steps,
                                         "adam", "samples")}
    if torch is not None:
        for label, options in (("torch Adam 2t", {}), ("torch Adam fused 2t", {"fused": True})):
            net = mlp_torch([784, 256, 128, 10], torch.nn.ReLU)
            opt = torch.optim.Adam(net.parameters(), lr=0.001, **options)
            contenders[label] = torch_run(net, torch.nn.CrossEntropyLoss(), opt, flat, y, 128,
                                          steps, "samples")
    record(rows, "MLP 784-256-128-10 Adam b128", "samples/s", contenders, rounds)


def mlp_torch(sizes: list[int], hidden) -> "torch.nn.Module":
    """nn.Sequential of Linear layers with ``hidden`` activations in between."""
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(torch.nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(hidden())
    return torch.nn.Sequential(*layers)


def bench_tiny(steps: int, rounds: int, rows: list) -> None:
    """The playground's 2-8-8-8-1 tanh net on the spiral, batch 10: steps per second."""
    for name in ("adam", "sgd"):
        trainer = layerlab_trainer(
            {"source": "spiral", "samples": 500, "noise": 0.1, "test_fraction": 0.5},
            [{"type": "dense", "units": 8, "activation": "tanh"}] * 3
            + [{"type": "dense", "units": 1, "activation": "sigmoid"}],
            "binary_crossentropy", {"type": name}, 10)
        x, y = trainer.x_train, trainer.y_train
        contenders = {"LayerLab": layerlab_run(trainer, steps, "steps"),
                      "numpy": numpy_mlp_run([2, 8, 8, 8, 1], "tanh", x, y, 10, steps, name,
                                             "steps")}
        for threads in (1, 2) if torch is not None else ():
            net = mlp_torch([2, 8, 8, 8, 1], torch.nn.Tanh)
            opt = (torch.optim.Adam(net.parameters(), lr=0.001) if name == "adam"
                   else torch.optim.SGD(net.parameters(), lr=0.01))
            bce = torch.nn.BCEWithLogitsLoss()
            contenders[f"torch {name} {threads}t"] = torch_run(
                net, lambda out, target: bce(out[:, 0], target), opt, x, y.astype(np.float32),
                10, steps, "steps", threads)
        record(rows, f"2-8-8-8-1 tanh {name} b10", "steps/s", contenders, rounds)


def bench_cnn(folder: Path, steps: int, rounds: int, rows: list) -> None:
    """conv 8 → pool → conv 16 → pool → dense 10 on 28×28, batch 64: samples per second."""
    x, y = mnist_like(3200)
    np.savez(folder / "cnn.npz", x=x, y=y)
    trainer = layerlab_trainer(
        {"source": "npz", "path": "cnn.npz", "test_fraction": 0.0},
        [{"type": "conv2d", "filters": 8, "kernel_size": 3, "activation": "relu"},
         {"type": "maxpool2d", "pool_size": 2},
         {"type": "conv2d", "filters": 16, "kernel_size": 3, "activation": "relu"},
         {"type": "maxpool2d", "pool_size": 2},
         {"type": "flatten"},
         {"type": "dense", "units": 10, "activation": "softmax"}],
        "categorical_crossentropy", {"type": "adam"}, 64, folder)
    contenders = {"LayerLab": layerlab_run(trainer, steps, "samples")}
    if torch is not None:
        net = torch.nn.Sequential(
            torch.nn.Conv2d(1, 8, 3), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
            torch.nn.Conv2d(8, 16, 3), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
            torch.nn.Flatten(), torch.nn.Linear(16 * 5 * 5, 10))
        opt = torch.optim.Adam(net.parameters(), lr=0.001)
        contenders["torch Adam 2t"] = torch_run(net, torch.nn.CrossEntropyLoss(), opt, x, y, 64,
                                             steps, "samples")
    record(rows, "CNN conv8-pool-conv16-pool-dense10 b64", "samples/s", contenders, rounds)


def main() -> None:
    """Run every scenario and print LayerLab's rate next to each reference and the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer steps (a rough figure)")
    args = parser.parse_args()
    scale = 0.25 if args.quick else 1.0
    rounds = 2 if args.quick else ROUNDS
    if torch is not None:
        torch.set_num_threads(2)
    print(f"numpy {np.__version__}; BLAS: {blas_description()}")
    if torch is not None:
        print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    # Other work on the machine skews every figure; the ratios within one run stay comparable.
    print(f"at start: {load_average()}")
    rows: list = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        bench_tiny(int(1000 * scale), rounds, rows)
        bench_mlp(folder, int(40 * scale), rounds, rows)
        bench_cnn(folder, int(20 * scale), rounds, rows)
    print(f"\n{'scenario':42} {'unit':10} {'LayerLab':>10}  reference: rate (LayerLab/ref)")
    for name, unit, ours, refs in rows:
        shown = ", ".join(f"{label} {rate:,.0f} ({ours / rate:.2f}x)"
                          for label, rate in refs.items())
        print(f"{name:42} {unit:10} {ours:>10,.0f}  {shown}")
    print(f"at end: {load_average()}")


if __name__ == "__main__":
    main()
