"""Every notebook runs top to bottom, with tiny parameters, in a fresh kernel; its committed
.ipynb holds the same code as its .py source.

The cell tagged `parameters` keeps its values and gets tiny ones appended; the kernel runs in
a temporary directory with one thread (another job may hold the second core), so nothing is
written into the repository.
"""
import ast
import os
from pathlib import Path

import jupytext
import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
SHIPPED = str(ROOT / "model" / "circles")

TINY = {
    "01_dataset": lambda tmp: {"n_clips": 4, "n_show": 2, "out_dir": str(tmp / "dataset")},
    "02_train": lambda tmp: {"preset": "tiny", "minutes": None, "steps": 4, "every": 2, "out_dir": str(tmp / "run"),
                             "eval_clips": 2},
    "03_generate": lambda tmp: {"model_dir": SHIPPED, "patterns_dir": str(ROOT / "model" / "patterns"),
                                "prompts": ["circle moving up"], "tutorial_steps": 1, "out_dir": str(tmp / "tutorial")},
}


def test_every_notebook_has_tiny_parameters():
    assert sorted(p.stem for p in NOTEBOOKS.glob("*.py")) == sorted(TINY)


def parameters_cell(nb) -> nbformat.NotebookNode:
    [cell] = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    return cell


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(TINY))
def test_notebook_runs_top_to_bottom_with_tiny_parameters(name, tmp_path):
    nb = jupytext.read(NOTEBOOKS / f"{name}.py")
    cell = parameters_cell(nb)
    tiny = TINY[name](tmp_path)
    names = {t.id for node in ast.parse(cell.source).body if isinstance(node, ast.Assign) for t in node.targets}
    assert set(tiny) <= names, f"{name}: the parameters cell no longer sets {set(tiny) - names}"
    cell.source += "\n# tiny values for the test\n" + "\n".join(f"{k} = {v!r}" for k, v in tiny.items())
    client = NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}})
    client.execute(env={**os.environ, "OMP_NUM_THREADS": "1"})
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors


@pytest.mark.parametrize("name", sorted(TINY))
def test_committed_ipynb_holds_the_code_of_its_py_source(name):
    source = jupytext.read(NOTEBOOKS / f"{name}.py")
    committed = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    assert [c.source for c in committed.cells] == [c.source for c in source.cells]
    assert any(c.get("outputs") for c in committed.cells), f"{name}.ipynb was committed without outputs"
