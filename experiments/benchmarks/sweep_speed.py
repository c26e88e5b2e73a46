"""Benchmark: a sweep of 8 default-size runs on local Ray against the same runs one after another.

Every run has the default experiment's settings (digits, 4 experiences, MLPs
4 x 128, 30 epochs, batch 32, Adam 3e-3). ``--unit`` says what one of the 8
"runs" is:

- ``run`` (default): one strategy x seed run: 4 strategies (al, naive,
  replay, cumulative) x 2 seeds;
- ``experiment``: one default experiment (its 5 strategies) per seed, 8 seeds
  (40 strategy x seed runs).

Both sides are measured end to end, as a user runs them, each in a fresh
process, side by side in one benchmark run:

- ``sequential``: ``alcl run CONFIG`` (one process, the 8 runs in turn, 1 torch thread);
- ``ray``: ``alcl sweep CONFIG --num-cpus N`` (local Ray instance, one task
  per run, 1 torch thread per task), start-up of Ray and its workers included;
- ``forked workers``: ``alcl sweep CONFIG --jobs N`` (no Ray: N worker processes forked
  from the driver once it has loaded the data, :mod:`experiments.sweep_local`).

Both draw the same figures and write the same files. The benchmark also
checks that both sides computed the same metrics (apart from wall-clock
timings): a run's numbers depend on its config and seed only. The load
average of the machine is printed before and after: on a shared machine
the ratio measures what the other processes leave free.

    python -m experiments.benchmarks.sweep_speed [--num-cpus 2] [--rounds 1]

Target: parallel / sequential <= 0.65 on a 2-core machine.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from experiments.benchmarks.common import markdown_table, median, verdict, without_timings

CONFIGS = {
    "run": {
        "name": "sweep-speed",
        "seeds": [0, 1],
        "device": "cpu",
        "threads": 1,
        "strategies": ["al", "naive", {"name": "replay", "mem_size": 200}, "cumulative"],
    },
    "experiment": {"name": "sweep-speed", "seeds": list(range(8)), "device": "cpu", "threads": 1},
}
TARGET = 0.65


def _timed(command: list[str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stderr[-3000:]}")
    return seconds


def _metrics(folder: Path) -> dict[str, dict]:
    return {
        p.name: without_timings(json.loads(p.read_text()))
        for p in sorted(folder.rglob("metrics/*.json"))
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--num-cpus", type=int, default=2, help="CPUs of the local Ray instance")
    parser.add_argument("--rounds", type=int, default=1, help="interleaved rounds (median)")
    parser.add_argument("--unit", choices=sorted(CONFIGS), default="run", help="what a run is")
    args = parser.parse_args()

    root = Path(tempfile.mkdtemp(prefix="alcl-sweep-speed-"))
    config = root / "config.yaml"
    config.write_text(yaml.safe_dump(CONFIGS[args.unit], sort_keys=False))
    alcl = [sys.executable, "-m", "experiments.cli"]
    n = args.num_cpus
    sides = {
        "sequential (`alcl run`)": lambda out: [*alcl, "run", str(config), "--out", out],
        f"ray (`alcl sweep --num-cpus {n}`)": lambda out: [
            *alcl, "sweep", str(config), "--out", out, "--num-cpus", str(n)
        ],
        f"forked workers (`alcl sweep --jobs {n}`)": lambda out: [
            *alcl, "sweep", str(config), "--out", out, "--jobs", str(n)
        ],
    }  # fmt: skip
    loads = [os.getloadavg()]
    times: dict[str, list[float]] = {side: [] for side in sides}
    metrics: dict[str, dict] = {}
    for r in range(args.rounds):
        for k, (side, command) in enumerate(sides.items()):
            out = root / f"side{k}-{r}"
            times[side].append(_timed([*command(str(out)), "--no-progress"]))
            metrics[side] = _metrics(out)
        loads.append(os.getloadavg())
    seq = median(next(iter(times.values())))
    what = {
        "run": "4 strategies x 2 seeds",
        "experiment": "8 default experiments (seeds) x 5 strategies",
    }
    print(f"8 {args.unit}s ({what[args.unit]}, default digits settings), {args.rounds} round(s)")
    print(
        f"load average (1, 5, 15 min) before: {loads[0]}, after: {loads[-1]}, cores: {os.cpu_count()}"
    )
    rows = [
        [side, median(t), f"{median(t) / seq:.3f}", ", ".join(f"{v:.1f}" for v in t)]
        for side, t in times.items()
    ]
    print(markdown_table(["side", "wall seconds (median)", "/ sequential", "rounds"], rows))
    for side, t in list(times.items())[1:]:
        ratio = median(t) / seq
        print(f"{side} / sequential: {ratio:.3f} (target <= {TARGET}: {verdict(ratio <= TARGET)})")
    reference = next(iter(metrics.values()))
    same = all(m == reference for m in metrics.values())
    print(f"same metrics on every side (timings aside): {same}")


if __name__ == "__main__":
    main()
