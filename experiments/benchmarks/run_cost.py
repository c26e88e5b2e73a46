"""Benchmark: what a whole `alcl run` costs next to its training (issue "A run that costs its
training").

Runs `alcl run` of AL alone on the Fashion-MNIST bands config (4 experiences, widths
4 x 256, batch 128) at 1 epoch, seed 0, one torch thread, in a fresh process, and prints:

- the whole process's CPU seconds (user + system, from the OS) and the training's
  (``train_seconds`` of the run record: the training calls only, one thread, so wall
  seconds are CPU seconds), and their ratio (target: at most 2x);
- where the rest goes, from a second run in this process with each phase timed on the
  process's CPU clock: imports, data and stream, evaluation passes, the adaptive report
  (and, inside it, the latency probe), checkpoints and figures.

It needs Fashion-MNIST on disk (Debian's ``dataset-fashion-mnist``, or the data root).

    OMP_NUM_THREADS=1 python -m experiments.benchmarks.run_cost [--epochs 1] [--rounds 2]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from contextlib import contextmanager
from pathlib import Path

import yaml


def _child_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def whole_run(config: Path, out: Path) -> tuple[float, float, float]:
    """(process CPU s, wall s, training s) of `alcl run` in a fresh process."""
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    before, start = _child_cpu(), time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "experiments.cli", "run", str(config), "--out", str(out),
         "--no-progress"],
        check=True, env=env, capture_output=True,
    )  # fmt: skip
    wall, cpu = time.perf_counter() - start, _child_cpu() - before
    record = json.loads(next((out / "metrics").glob("*.json")).read_text())
    return cpu, wall, sum(record["train_seconds"])


PHASES = {
    "data and stream": [
        ("experiments.runner", "load_data"),
        ("experiments.runner", "build_stream"),
    ],
    "training": [("alcl.strategy", "ALStrategy.train")],
    "evaluation passes": [("alcl.evaluation.protocol", "evaluate")],
    "adaptive report": [("alcl.evaluation.protocol", "_al_cost_and_exits")],
    "  of which latency probe": [
        ("alcl.calibration", "seconds_per_sample_range"),
        ("alcl.evaluation.cost", "exit_latency"),
    ],
    "checkpoints": [("experiments.checkpoints", "RunCheckpoint.save")],
    "figures": [("alcl.results.plots", "draw_all")],
}


@contextmanager
def timed_phases(totals: dict[str, float]):
    """Wrap each phase's functions so their CPU seconds add up in ``totals`` (outermost call
    only, so recursion or nesting counts once)."""
    import importlib

    undo = []
    for phase, targets in PHASES.items():
        for module_name, attr in targets:
            module = importlib.import_module(module_name)
            owner, name = module, attr
            if "." in attr:
                cls, name = attr.split(".")
                owner = getattr(module, cls)
            if not hasattr(owner, name):
                continue
            original = getattr(owner, name)
            depth = {"n": 0}

            def wrapper(*args, _f=original, _p=phase, _d=depth, **kwargs):
                _d["n"] += 1
                start = time.process_time()
                try:
                    return _f(*args, **kwargs)
                finally:
                    _d["n"] -= 1
                    if _d["n"] == 0:
                        totals[_p] += time.process_time() - start

            setattr(owner, name, wrapper)
            undo.append((owner, name, original))
    try:
        yield
    finally:
        for owner, name, original in undo:
            setattr(owner, name, original)


def phases(config: Path, out: Path) -> dict[str, float]:
    """CPU seconds per phase of one run in this process (imports measured first)."""
    totals: dict[str, float] = defaultdict(float)
    start = time.process_time()
    import experiments.runner  # noqa: F401  (the imports a run needs)
    from experiments.cli import main

    totals["imports"] = time.process_time() - start
    with timed_phases(totals):
        start = time.process_time()
        main(["run", str(config), "--out", str(out), "--no-progress"])
        totals["whole run after imports"] = time.process_time() - start
    return dict(totals)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=2, help="fresh-process runs (median)")
    args = parser.parse_args()
    if os.environ.get("OMP_NUM_THREADS") != "1":
        print("note: run with OMP_NUM_THREADS=1 (the config also sets threads: 1)")
    import torch

    torch.set_num_threads(1)
    tmp = Path(tempfile.mkdtemp(prefix="alcl-run-cost-"))
    config = tmp / "bands.yaml"
    from experiments.benchmarks.common import bands_al_config

    cfg = bands_al_config("bands_al_cost", epochs=args.epochs)
    cfg["adaptive"] = {}  # the run's own latency probe is part of what is measured
    config.write_text(yaml.safe_dump(cfg))
    print(f"load average at start: {os.getloadavg()[0]:.2f}")
    runs = [whole_run(config, tmp / f"fresh{r}") for r in range(args.rounds)]
    runs.sort(key=lambda r: r[0] / r[2])
    cpu, wall, train = runs[len(runs) // 2]
    print(f"alcl run, AL on Fashion-MNIST bands, {args.epochs} epoch(s), 1 thread "
          f"(median of {args.rounds} fresh processes):")  # fmt: skip
    print(f"  process CPU {cpu:.1f} s, wall {wall:.1f} s; training {train:.2f} s")
    ratio = cpu / train
    print(f"  total CPU / training CPU = {ratio:.1f}x (target <= 2x: "
          f"{'met' if ratio <= 2 else 'NOT met'})")  # fmt: skip
    totals = phases(config, tmp / "phased")
    print("CPU seconds by phase (one run in this process):")
    for name, seconds in totals.items():
        print(f"  {name:28s} {seconds:7.2f}")
    print(f"load average at end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
