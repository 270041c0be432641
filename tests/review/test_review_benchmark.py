"""benchmarks/review.py runs on a tiny size and writes its block (no timing is asserted)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "review.py"


def test_the_benchmark_writes_its_block(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = str(SCRIPT.parent)
    sys.path.insert(0, folder)  # the script imports markers.py from its folder
    try:
        spec = importlib.util.spec_from_file_location("matcher_benchmarks_review", SCRIPT)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        out = tmp_path / "RESULTS.md"
        argv = ["--sizes", "60x20", "--library", "120", "--repeat", "1", "--out", str(out)]
        assert module.main(argv) == 0
    finally:
        sys.path.remove(folder)
    text = out.read_text(encoding="utf-8")
    assert "<!-- review:start -->" in text and "<!-- review:end -->" in text
    row = next(line for line in text.splitlines() if line.startswith("| 60 x 20"))
    assert row.rstrip().endswith("| 0 |")  # no conflict and no overload in the answer
    assert "180 / 180" in row  # every place filled
    capsys.readouterr()
