"""The README's configuration reference stays true to the schema."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from experiments.config import config_from_dict, dump_config

README = Path(__file__).resolve().parents[1] / "README.md"


def _reference_block() -> dict:
    text = README.read_text()
    section = text[text.index("## Configuration") :]
    block = re.search(r"```yaml\n(.*?)```", section, re.S).group(1)
    return yaml.safe_load(block)


def _keys(data: dict, prefix: str = "") -> set[str]:
    keys = set()
    for key, value in data.items():
        keys.add(prefix + key)
        if isinstance(value, dict) and key not in ("backbone_options", "sweep"):
            keys |= _keys(value, f"{prefix}{key}.")
    return keys


def test_readme_config_reference_is_a_valid_config_naming_every_key():
    documented = _reference_block()
    cfg = config_from_dict(documented)  # raises on any key or value the schema refuses
    schema = yaml.safe_load(dump_config(cfg))
    assert _keys(schema) - {"strategies"} <= _keys(documented)


def test_readme_python_example_runs_and_prints_the_rows(tmp_path):
    import subprocess
    import sys

    text = README.read_text()
    section = text[text.index("## Use it from Python") :]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    script = tmp_path / "example.py"
    script.write_text(code.replace("epochs=30", "epochs=3"))  # the same code, a shorter budget
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert [line.split(":")[0] for line in lines if line.startswith("after")] == [
        "after 1",
        "after 2",
        "after 3",
    ]
    exits = [eval(line.split("exits ")[1]) for line in lines if "exits" in line]
    assert [len(row) for row in exits] == [1, 2, 3]  # one exit more per experience
    assert all(0.0 <= a <= 1.0 for row in exits for a in row)


def test_the_default_runs_printed_table_matches_what_alcl_run_prints():
    from alcl.results.tables import SUMMARY_COLUMNS
    from experiments.config import load_config

    text = README.read_text()
    start = text.index("```\nstrategy    seed") + 4
    lines = text[start : text.index("```", start)].strip().splitlines()
    assert lines[0].split() == list(SUMMARY_COLUMNS[:8])  # the columns alcl run prints
    assert set(lines[1]) <= {"-", " "}
    rows = [line.split() for line in lines[2:]]
    assert [r[0] for r in rows] == [s.key for s in load_config().strategies]
    assert all(len(r) == 8 and r[1] == "0" for r in rows)
