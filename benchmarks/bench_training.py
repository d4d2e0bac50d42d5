"""Training timings: 500 epochs on 200 points, mini-batches of 20 and full batch (200).

    python benchmarks/bench_training.py

Times bp_core.training.train for the notes' 2-2-2-2 shape and for the training lesson's default network,
the median over several runs of the wall-clock time and of the process's CPU time (these machines are
shared and noisy: the load average is recorded too), plus the pieces of one update. The target: under
1 s for 500 epochs of the 2x2x2 network on 200 points. Prints, and writes benchmarks/results/training.json.
"""
from __future__ import annotations

import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

REPEAT = 7
TARGET_S = 1.0


def median_s(fn, repeat: int = REPEAT, clock=time.perf_counter) -> float:
    times = []
    for _ in range(repeat):
        t0 = clock()
        fn()
        times.append(clock() - t0)
    return statistics.median(times)


def main() -> dict:
    from bp_core import datasets, presets, training

    p = presets.TRAINING
    X, Y = datasets.make(p["dataset"], p["points"], p["seed"], p["noise"])
    shapes = {
        "2x2x2": dict(depth=2, width=2),                       # the notes' shape
        "default": dict(depth=p["depth"], width=p["width"]),   # the lesson's default
    }
    results: dict = {"epochs": 500, "points": len(X), "runs": REPEAT, "target_s": TARGET_S,
                     "load_average_1min_before": os.getloadavg()[0]}
    for name, shape in shapes.items():
        net = training.initial_network(hidden=p["hidden"], biases=p["biases"], loss=p["loss"], seed=p["init_seed"],
                                       **shape)
        for batch in (20, 200):
            def run(net=net, batch=batch):
                return training.train(net, X, Y, lr=p["lr"], batch=batch, epochs=500, seed=p["init_seed"])
            key = f"train_{name}_batch{batch}_s"
            results[key] = median_s(run)
            # the process's own CPU time: what the run costs when other processes share the cores
            results[f"train_{name}_batch{batch}_cpu_s"] = median_s(run, clock=time.process_time)
            results[f"train_{name}_batch{batch}_updates"] = run().updates
    # the pieces of one update on a mini-batch of 20, in microseconds
    net = training.initial_network(depth=2, width=2, hidden=p["hidden"], biases=p["biases"], loss=p["loss"])
    xb, yb = X[:20], Y[:20]
    trace = net.backprop(xb, yb, steps=False)
    pieces = {
        "backprop_steps_false_us": lambda: net.backprop(xb, yb, steps=False),
        "replace_us": lambda: net.replace(weights=[W - 0.5 * g for W, g in zip(net.weights, trace.dW)],
                                          biases=[b - 0.5 * g for b, g in zip(net.biases, trace.db)]),
        "loss_all_points_us": lambda: net.loss_value(X, Y),
    }
    for key, fn in pieces.items():
        results[key] = median_s(lambda: [fn() for _ in range(1000)], 5) * 1e3
    results["machine"] = f"{platform.machine()}, {os.cpu_count()} CPUs, {platform.python_implementation()} " \
                         f"{platform.python_version()}"
    results["load_average_1min_after"] = os.getloadavg()[0]
    for key, value in results.items():
        print(f"{key:34s} {value:.4f}" if isinstance(value, float) else f"{key:34s} {value}")
    worst = max(v for k, v in results.items() if k.startswith("train_") and k.endswith("_s") and "_cpu_" not in k)
    print(f"slowest training run: {worst:.3f} s ({'under' if worst < TARGET_S else 'OVER'} the {TARGET_S:g} s target)")
    out = ROOT / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "training.json").write_text(json.dumps(results, indent=2) + "\n")
    return results


if __name__ == "__main__":
    main()
