"""Running a sweep (or a suite's streams) on this machine's cores, without Ray: every
(variant, strategy, seed) run in one pool of forked workers (:mod:`experiments.local_pool`).

The driver claims every folder first, builds each variant's streams once, and the workers,
forked from it, start with torch, Avalanche and the data already loaded: no cluster to start
and no imports to repeat, which on a small machine costs more than the runs. Each variant's
summary is rewritten as its runs finish; figures are drawn once all runs are over, spread
over the same number of processes; then the sweep's tables are written.
"""

from __future__ import annotations

from typing import Any

from experiments.sweep import Sweep, claim, write_sweep_tables


def run_sweep_local(
    sweep: Sweep,
    jobs: int = 0,
    progress: bool = True,
    plots: bool = True,
    data: dict[str, Any] | None = None,
) -> None:
    """Every unfinished run of ``sweep``, ``jobs`` at a time (0: one per core); ``data``:
    each variant's dataset, already loaded (by variant name)."""
    from tqdm.auto import tqdm

    from alcl.results.files import write_summary
    from alcl.results.plots import draw_all
    from experiments.local_pool import Task, map_forked, run_tasks, workers_for
    from experiments.runner import build_stream, load_data, resolve_device, run_and_save

    claim(sweep)
    tasks = []
    for variant in sweep.variants:
        cfg = variant.config
        loaded = (data or {}).get(variant.name) or load_data(cfg.stream)
        device = resolve_device(cfg.device)
        for seed in cfg.seeds:
            stream = build_stream(cfg.stream, seed, loaded)
            tasks += [Task(cfg, variant.folder, i, seed, stream, device)
                      for i in range(len(cfg.strategies))]  # fmt: skip
    with tqdm(total=len(tasks), disable=not progress, unit="run", leave=False) as bar:

        def done(task: Task, ran: bool) -> None:
            bar.update(1)
            if ran:
                write_summary(task.folder)

        run_tasks(tasks, jobs, run_and_save, on_done=done)
    if plots:
        folders = [v.folder for v in sweep.variants if any((v.folder / "metrics").glob("*.json"))]
        parts = workers_for(jobs, 8, "cpu")
        calls = [(folder, part, parts) for folder in folders for part in range(parts)]
        map_forked(draw_all, calls, parts)
    write_sweep_tables(sweep)
