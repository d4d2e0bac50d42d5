"""Core timings: backprop with steps, SymPy derivations cold and cached, import of bp_core.

    python benchmarks/bench_core.py

Prints medians over repeated runs (these machines are noisy) and writes benchmarks/results/core.json.
"""
from __future__ import annotations

import json
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def median_ms(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)


def import_ms(repeat: int = 7) -> float:
    """bp_core's own import, in a fresh interpreter, minus the interpreter with numpy alone."""
    def run(code: str) -> float:
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
        return float(out.stdout)
    timer = "import time; t = time.perf_counter(); {}; print((time.perf_counter() - t) * 1e3)"
    return statistics.median(run("import numpy;" + timer.format("import bp_core")) for _ in range(repeat))


def main() -> dict:
    from bp_core import Network, derivations, presets

    p = presets.MATRIX_NET
    net = Network([p["W1"], p["W2"], p["W3"]], hidden=p["hidden"], output=p["output"], loss=p["loss"])
    x, y = p["x"], p["label"]

    def cold():
        derivations._derivation_builder.cache_clear()
        derivations.derive(net, x, y, lr=p["lr"])

    results = {
        "backprop_with_steps_ms": median_ms(lambda: net.backprop(x, y, lr=p["lr"]), 500),
        "backprop_without_steps_ms": median_ms(lambda: net.backprop(x, y, steps=False), 500),
        "derivations_cold_ms": median_ms(cold, 9),
        "derivations_cached_ms": median_ms(lambda: derivations.derive(net, x, y, lr=p["lr"]), 500),
        "import_bp_core_ms": import_ms(),
        "machine": f"{platform.machine()}, {platform.python_implementation()} {platform.python_version()}",
    }
    for key, value in results.items():
        print(f"{key:28s} {value:.3f}" if isinstance(value, float) else f"{key:28s} {value}")
    out = ROOT / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "core.json").write_text(json.dumps(results, indent=2))
    return results


if __name__ == "__main__":
    main()
