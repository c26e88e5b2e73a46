"""Benchmark: what checkpoints and logs cost a default-size run.

Each strategy (default: al, naive, replay) runs the default digits
experiment's settings for seed 0 in four ways, interleaved round after round:

- ``bare``: no checkpoint, no logs;
- ``checkpoints``: a checkpoint saved after every experience;
- ``logs``: Avalanche's text and CSV loggers with their accuracy and loss metrics;
- ``both``: what ``alcl run`` does.

It prints the median wall seconds of the whole run and of its training
(``train_seconds``: the training calls only, where the logging metrics are
updated once per minibatch) and the overhead over ``bare``. It also checks
that all four computed the same numbers (checkpoints and logs only observe).

    python -m experiments.benchmarks.run_overheads [--rounds 3] [--strategies al naive replay]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from experiments.benchmarks.common import markdown_table, median, setup, without_timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--strategies", nargs="+", default=["al", "naive", "replay"])
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    print(setup(args.threads))

    from experiments.config import load_config
    from experiments.runner import build_stream, run_one

    cfg = load_config(None, ["device=cpu", f"strategies=[{','.join(args.strategies)}]"])
    stream = build_stream(cfg.stream, 0)
    tmp = Path(tempfile.mkdtemp(prefix="alcl-overheads-"))
    ways = ("bare", "checkpoints", "logs", "both")
    rows, same = [], True
    for index, name in enumerate(args.strategies):
        wall = {w: [] for w in ways}
        train = {w: [] for w in ways}
        records = {}
        for r in range(args.rounds):
            for way in ways:
                kwargs = {}
                if way in ("checkpoints", "both"):
                    kwargs["checkpoint"] = tmp / f"{name}-{way}-{r}.pt"
                if way in ("logs", "both"):
                    kwargs["logs"] = tmp / f"{name}-{way}-{r}"
                start = time.perf_counter()
                record = run_one(cfg, index, 0, stream, "cpu", **kwargs)
                wall[way].append(time.perf_counter() - start)
                train[way].append(sum(record.train_seconds))
                records[way] = without_timings(record.to_dict())
        same = same and all(records[w] == records["bare"] for w in ways)
        base_wall, base_train = median(wall["bare"]), median(train["bare"])
        for way in ways:
            w, t = median(wall[way]), median(train[way])
            rows.append(
                [
                    name,
                    way,
                    w,
                    f"{100 * (w / base_wall - 1):+.0f}%",
                    t,
                    f"{100 * (t / base_train - 1):+.0f}%",
                ]
            )
    header = ["strategy", "way", "run s", "vs bare", "train s", "vs bare"]
    print(markdown_table(header, rows))
    print(f"same numbers with and without checkpoints and logs: {same}")


if __name__ == "__main__":
    main()
