"""The notebooks in examples/ are committed without outputs and run to the end in the suite."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).parent.parent / "examples"
NOTEBOOKS = sorted(EXAMPLES.glob("*.ipynb"))


def test_there_are_notebooks() -> None:
    assert {p.name for p in NOTEBOOKS} >= {"quickstart.ipynb", "what_if.ipynb"}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_outputs_are_stripped(path: Path) -> None:
    # Plain JSON, so that this check needs no optional package.
    notebook = json.loads(path.read_text(encoding="utf-8"))
    for index, cell in enumerate(notebook["cells"]):
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [], f"cell {index} of {path.name} has outputs"
            assert cell["execution_count"] is None, f"cell {index} of {path.name} was run"
        assert not cell.get("attachments"), f"cell {index} of {path.name} has attachments"
    assert set(notebook["metadata"]) <= {"kernelspec", "language_info"}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs(path: Path, tmp_path: Path) -> None:
    nbformat = pytest.importorskip("nbformat", reason="nbformat is not installed (notebooks extra)")
    nbclient = pytest.importorskip("nbclient", reason="nbclient is not installed (notebooks extra)")
    if importlib.util.find_spec("ipykernel") is None:  # found, not imported: it would change
        pytest.skip("ipykernel is not installed (notebooks extra)")  # how this process behaves
    notebook = nbformat.read(path, as_version=4)
    # Files the notebook writes (plan.xlsx ...) land in a temporary folder.
    client = nbclient.NotebookClient(
        notebook,
        timeout=300,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute()  # raises CellExecutionError, naming the cell, when a cell fails
    errors = [
        output
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if output.output_type == "error"
    ]
    assert errors == []
    # Every figure was drawn (one PNG per plotting cell), none with missing glyphs warnings.
    texts = [
        output.get("text", "")
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if output.output_type == "stream"
    ]
    assert not any("missing from font" in text for text in texts)
    pictures = sum(
        "image/png" in output.get("data", {})
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
    )
    plotting = sum("plots." in cell.source and "ax = " in cell.source for cell in notebook.cells)
    assert pictures >= plotting
