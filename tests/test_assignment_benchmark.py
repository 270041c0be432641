"""Smoke test of benchmarks/assignment.py on small instances, so the script does not rot.

No timing is asserted: every method must reach the same optimum (the script fails otherwise), and
the table must land between its markers.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "assignment.py"


def test_the_assignment_benchmark_runs_and_writes_its_block(tmp_path: Path) -> None:
    folder = str(SCRIPT.parent)
    sys.path.insert(0, folder)
    try:
        spec = importlib.util.spec_from_file_location("assignment_benchmark", SCRIPT)
        assert spec is not None and spec.loader is not None
        script = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(script)
        out = tmp_path / "RESULTS.md"
        out.write_text("# Results\n", encoding="utf-8")
        assert script.main(["--sizes", "30,60", "--repeat", "1", "--out", str(out)]) == 0
    finally:
        sys.path.remove(folder)
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# Results\n")
    assert text.count("<!-- assignment:start -->") == text.count("<!-- assignment:end -->") == 1
    for row in ("dense 30 x 30", "sparse 60 x 60", "partners 118 x 177"):
        assert row in text
