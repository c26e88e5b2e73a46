"""Running a sweep (:mod:`experiments.sweep`) on Ray: one task per (variant, strategy, seed) run.

The driver (``alcl sweep``) claims the folders, submits every unfinished run
as a Ray task needing one CPU, collects results as they come with
``ray.wait``, rebuilds each variant's summary after each run, draws a
variant's figures in a Ray task once its runs are over, and writes the
sweep's tables. A task that raises is recorded in ``failures.json`` with its
error and traceback; the other tasks go on. A worker that dies (killed, out
of memory) is retried by Ray, and its run resumes from its checkpoint.

Workers use one torch thread each and keep the streams they built, so runs
of the same stream and seed on one worker share it.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from experiments.config import ConfigError, ExperimentConfig, config_from_dict
from experiments.sweep import Sweep, Variant, claim, has_runs, write_sweep_tables

FAILURES_FILE = "failures.json"


_STREAMS: dict[tuple[str, int], Any] = {}


def _stream(cfg: ExperimentConfig, seed: int):
    """The run's stream, built once per worker process for each stream config and seed."""
    from experiments.runner import build_stream

    key = (json.dumps(dataclasses.asdict(cfg.stream), sort_keys=True), seed)
    if key not in _STREAMS:
        if len(_STREAMS) >= 4:
            _STREAMS.pop(next(iter(_STREAMS)))
        _STREAMS[key] = build_stream(cfg.stream, seed)
    return _STREAMS[key]


def execute_run(cfg_data: dict[str, Any], strategy_index: int, seed: int) -> dict[str, Any] | None:
    """One (strategy, seed) run of a variant, resumable; what a Ray task executes."""
    import torch

    from experiments.runner import resolve_device, run_and_save

    torch.set_num_threads(1)  # one CPU per task: Ray runs one task per core
    cfg = config_from_dict(cfg_data)
    stream = _stream(cfg, seed)
    return run_and_save(
        cfg, Path(cfg.output), strategy_index, seed, stream, resolve_device(cfg.device)
    )


@dataclass
class SweepResult:
    root: Path
    finished: int = 0
    skipped: int = 0
    failures: list[dict[str, Any]] = field(default_factory=list)

    def report(self) -> str:
        lines = [
            f"{self.finished} run(s) finished now, {self.skipped} were already done, "
            f"{len(self.failures)} failed."
        ]
        aggregate = self.root / "aggregate.md"
        if aggregate.is_file():
            lines += ["", aggregate.read_text()]
        for f in self.failures:
            lines.append(f"FAILED {f['variant']} / {f['strategy']} seed {f['seed']}: {f['error']}")
        if self.failures:
            lines.append(f"(tracebacks in {self.root / FAILURES_FILE})")
        lines.append(f"results: {self.root}")
        return "\n".join(lines)


def _failure(variant: Variant, index: int, seed: int | None, err: Exception) -> dict[str, Any]:
    cause = getattr(err, "cause", None) or err
    return {
        "variant": variant.name,
        "strategy": variant.config.strategies[index].key,
        "seed": seed,
        "error": f"{type(cause).__name__}: {cause}".splitlines()[0],
        "traceback": str(err),
    }


def draw_variant(folder: str) -> None:
    """Rebuild a variant's summary and draw its figures (a Ray task, next to the runs)."""
    from alcl.results.files import write_summary
    from alcl.results.plots import draw_all

    write_summary(folder)
    draw_all(folder)


def run_sweep(
    sweep: Sweep,
    address: str | None = None,
    num_cpus: int | None = None,
    progress: bool = True,
    plots: bool = True,
) -> SweepResult:
    """Run every unfinished run of ``sweep`` as a Ray task; write every table; report failures.

    A variant's figures are drawn by a Ray task as soon as its last run ends,
    while the other variants' runs go on. Uses the Ray instance already
    initialised in this process, if any; otherwise starts a local one (or
    joins ``address``) and shuts it down at the end.
    """
    import ray

    from alcl.results.files import finished_run, run_path

    if address and num_cpus:
        raise ConfigError(
            "--num-cpus sizes a local Ray instance; a cluster (--address) has its own."
        )
    claim(sweep)
    result = SweepResult(sweep.root)
    todo = []
    for variant, index, seed in sweep.runs():
        if finished_run(run_path(variant.folder, variant.config.strategies[index].key, seed)):
            result.skipped += 1
        else:
            todo.append((variant, index, seed))
    if not todo:
        for variant in sweep.variants:
            if plots and has_runs(variant):
                draw_variant(str(variant.folder))
    else:
        started = not ray.is_initialized()
        if started:
            local = {"num_cpus": num_cpus, "include_dashboard": False} if not address else {}
            ray.init(address=address, log_to_driver=False, logging_level="WARNING", **local)
        try:
            _run_on_ray(sweep, todo, result, progress, plots)
        finally:
            if started:
                ray.shutdown()
    write_sweep_tables(sweep)
    _write_failures(sweep.root, result.failures)
    return result


def _run_on_ray(sweep: Sweep, todo: list, result: SweepResult, progress: bool, plots: bool) -> None:
    import ray
    from tqdm.auto import tqdm

    from alcl.results.files import run_path, write_json, write_summary

    run_task = ray.remote(num_cpus=1)(execute_run)
    plot_task = ray.remote(num_cpus=1)(draw_variant)
    left = {v.name: 0 for v in sweep.variants}
    for variant, _, _ in todo:
        left[variant.name] += 1
    plotting = {}
    if plots:  # variants finished before this sweep started (their figures may be missing)
        plotting = {
            plot_task.remote(str(v.folder)): v
            for v in sweep.variants
            if left[v.name] == 0 and has_runs(v)
        }
    pending = {run_task.remote(v.config.to_dict(), i, s): (v, i, s) for v, i, s in todo}
    total = len(todo) + result.skipped
    with tqdm(total=total, initial=result.skipped, unit="run", disable=not progress) as bar:
        while pending:
            ready, _ = ray.wait(list(pending), num_returns=1)
            variant, index, seed = pending.pop(ready[0])
            try:
                record = ray.get(ready[0])
            except ray.exceptions.RayError as err:
                result.failures.append(_failure(variant, index, seed, err))
            else:
                path = run_path(variant.folder, variant.config.strategies[index].key, seed)
                if record is not None and not path.is_file():
                    write_json(path, record.to_dict())  # a worker on another node wrote its own
                write_summary(variant.folder)
                result.finished += 1
            left[variant.name] -= 1
            if plots and left[variant.name] == 0 and has_runs(variant):
                plotting[plot_task.remote(str(variant.folder))] = variant
            bar.update(1)
            bar.set_postfix(failed=len(result.failures))
    for ref, variant in plotting.items():
        try:
            ray.get(ref)
        except ray.exceptions.RayError as err:
            failure = _failure(variant, 0, None, err)
            result.failures.append({**failure, "strategy": "(figures)"})


def _write_failures(root: Path, failures: list[dict[str, Any]]) -> None:
    from alcl.results.files import write_json

    path = root / FAILURES_FILE
    if failures:
        write_json(path, failures)
    else:
        path.unlink(missing_ok=True)
