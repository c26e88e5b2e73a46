"""Per-run logs through Avalanche's own loggers: text and CSV always, TensorBoard on request.

Each (strategy, seed) run logs into its own folder, ``logs/<strategy>__seed<k>/``:

- ``log.txt``: Avalanche's ``TextLogger`` (every metric at the end of each
  training epoch and each evaluated experience);
- ``training_results.csv``, ``eval_results.csv``: Avalanche's ``CSVLogger``
  (training accuracy and loss per epoch; accuracy and loss per evaluated experience);
- ``tensorboard/``: Avalanche's ``TensorboardLogger``, with ``logging.tensorboard: true``.

The metrics are Avalanche's accuracy and loss per epoch (training) and per
experience and stream (evaluation); they only observe, so a run computes the
same numbers with or without logs. A resumed run appends to its logs: the
lines of an experience that was interrupted stay, followed by its rerun.

Cost: the logged metrics are updated once per training minibatch. The fast
loop (:mod:`alcl.training.loop`) hands an ``EvaluationPlugin`` only the iteration events
its metrics and loggers implement, which keeps the logging overhead small.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from avalanche.evaluation.metrics import accuracy_metrics, loss_metrics
from avalanche.logging import CSVLogger, TensorboardLogger, TextLogger
from avalanche.training.plugins import EvaluationPlugin

LOGS_DIR = "logs"


@dataclass
class LoggingConfig:
    """The ``logging`` config section. Text and CSV logs are always written
    (``logs/<strategy>__seed<k>/``); TensorBoard on request."""

    tensorboard: bool = False

    def check(self, need) -> None:
        """Nothing to check beyond the type."""


class AppendingCSVLogger(CSVLogger):
    """Avalanche's ``CSVLogger``, keeping the rows of an earlier (interrupted) attempt.

    ``CSVLogger`` truncates its files and writes their headers when built; the
    rows already there are read first and written back after the headers.
    """

    def __init__(self, log_folder: str | Path) -> None:
        folder = Path(log_folder)
        earlier = {}
        for name in ("training_results.csv", "eval_results.csv"):
            path = folder / name
            lines = path.read_text().splitlines(keepends=True) if path.is_file() else []
            earlier[name] = "".join(lines[1:])  # without the header
        super().__init__(str(folder))
        for name, handle in (
            ("training_results.csv", self.training_file),
            ("eval_results.csv", self.eval_file),
        ):
            handle.write(earlier[name])
            handle.flush()


class RunLogs:
    """The loggers of one run and the ``EvaluationPlugin`` that feeds them; close when done."""

    def __init__(self, folder: str | Path, tensorboard: bool = False, note: str = "") -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        # Line-buffered: TextLogger never flushes, and a killed run must keep every line.
        self.text_file = open(self.folder / "log.txt", "a", buffering=1, encoding="utf-8")  # noqa: SIM115
        if note:
            print(note, file=self.text_file, flush=True)
        self.csv = AppendingCSVLogger(self.folder)
        loggers = [TextLogger(self.text_file), self.csv]
        self.tensorboard = None
        if tensorboard:
            self.tensorboard = TensorboardLogger(self.folder / "tensorboard")
            loggers.append(self.tensorboard)
        self.evaluator = EvaluationPlugin(
            accuracy_metrics(epoch=True, experience=True, stream=True),
            loss_metrics(epoch=True, experience=True, stream=True),
            loggers=loggers,
        )

    def close(self) -> None:
        self.csv.close()
        if self.tensorboard is not None:
            self.tensorboard.writer.close()
        self.text_file.close()

    def __enter__(self) -> RunLogs:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
