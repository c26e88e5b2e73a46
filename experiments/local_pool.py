"""Runs on this machine's cores: (strategy, seed) runs in worker processes forked from the
one that loaded the data, so no worker imports torch and Avalanche again or reloads a stream.

``jobs`` (the top-level config key, ``--jobs`` on the command line) says how many runs go at
once: 1 runs them in turn in this process; 0 takes one per CPU core. A run's numbers depend
on its config and seed only (each run seeds itself), so they are the same for any ``jobs``;
each worker keeps ``threads`` torch threads. Each run writes its own metrics file,
checkpoint and logs, as in sequence; the parent updates the progress bar and the folder's
summary as runs finish. Workers are forked, which is only safe on Linux and before CUDA
starts: on a CUDA device, and on other systems, runs go in turn.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Task:
    """One (strategy, seed) run of a results folder, on a stream already built."""

    cfg: Any  # ExperimentConfig
    folder: Path
    strategy_index: int
    seed: int
    stream: Any
    device: str


_TASKS: list[Task] = []  # set before the workers fork; they read their task from it
_RUN: list[Callable[..., Any]] = []  # the function that runs a task (set with the tasks)
_EVENTS: Any = None  # a queue: the workers report each finished experience on it

Run = Callable[..., Any]
"""``run(cfg, folder, strategy_index, seed, stream, device, on_experience=...)``: a finished
run's record, or None when it was finished already (``experiments.runner.run_and_save``)."""


def workers_for(jobs: int, n_tasks: int, device: str) -> int:
    """How many processes to use: ``jobs`` (0: the CPU cores), at most one per task; one on a
    CUDA device, and one where forking a process that has loaded torch is not safe (macOS,
    Windows)."""
    if device.startswith("cuda") or not sys.platform.startswith("linux"):
        return 1
    if hasattr(os, "sched_getaffinity"):
        cores = len(os.sched_getaffinity(0))
    else:
        cores = os.cpu_count() or 1
    return max(1, min(jobs or cores, n_tasks))


def _die_with_parent() -> None:
    """In a worker: end when the parent ends (killed included), so no orphan keeps writing
    into a folder that a resumed run may be using (Linux ``prctl(PR_SET_PDEATHSIG)``)."""
    import ctypes
    import signal

    try:
        ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # 1: PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux's libc: the worker may outlive a killed parent
        pass


def _execute(position: int) -> tuple[int, bool]:
    """In a worker: run task ``position``; returns it and whether it ran (False: finished)."""
    import torch

    task = _TASKS[position]
    if task.cfg.threads:
        torch.set_num_threads(task.cfg.threads)
    record = _RUN[0](
        task.cfg,
        task.folder,
        task.strategy_index,
        task.seed,
        task.stream,
        task.device,
        on_experience=lambda _: _EVENTS.put(position),
    )
    return position, record is not None


def run_tasks(
    tasks: Sequence[Task],
    jobs: int,
    run: Run,
    on_experience: Callable[[Task], None] | None = None,
    on_done: Callable[[Task, bool], None] | None = None,
) -> None:
    """Run every task with ``run``, ``jobs`` at a time (see the module docstring).
    ``on_experience`` hears of each finished training experience, ``on_done`` of each finished
    run (with whether it ran), both in this process. A run that raises stops the others and
    is raised here."""
    if not tasks:
        return
    workers = workers_for(jobs, len(tasks), tasks[0].device)
    if workers == 1:
        for task in tasks:
            hear = None if on_experience is None else (lambda _, t=task: on_experience(t))
            record = run(
                task.cfg, task.folder, task.strategy_index, task.seed, task.stream,
                task.device, on_experience=hear,
            )  # fmt: skip
            if on_done is not None:
                on_done(task, record is not None)
        return
    global _EVENTS
    context = multiprocessing.get_context("fork")
    _TASKS[:] = list(tasks)
    _RUN[:] = [run]
    _EVENTS = context.SimpleQueue()
    try:
        with ProcessPoolExecutor(workers, mp_context=context, initializer=_die_with_parent) as pool:
            pending: set[Future] = {pool.submit(_execute, i) for i in range(len(tasks))}
            try:
                while pending:
                    done, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
                    _drain(tasks, on_experience)
                    for future in done:
                        position, ran = future.result()  # a run's error is raised here
                        if on_done is not None:
                            on_done(tasks[position], ran)
            except BaseException:
                for future in pending:
                    future.cancel()
                raise
        _drain(tasks, on_experience)
    finally:
        _TASKS.clear()
        _RUN.clear()
        _EVENTS = None


def _drain(tasks: Sequence[Task], on_experience) -> None:
    while not _EVENTS.empty():
        position = _EVENTS.get()
        if on_experience is not None:
            on_experience(tasks[position])


def map_forked(fn: Callable[..., Any], calls: Sequence[tuple], jobs: int) -> list[Any]:
    """``[fn(*args) for args in calls]``, ``jobs`` calls at once in forked processes (0: one
    per core; 1: in this process). ``fn`` must be a module-level function."""
    workers = workers_for(jobs, len(calls), "cpu")
    if workers == 1:
        return [fn(*args) for args in calls]
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_die_with_parent) as pool:
        return list(pool.map(fn, *zip(*calls, strict=True)))
