"""The example notebook runs from top to bottom in a Jupyter kernel, on the real network."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

NOTEBOOK = Path(__file__).parent.parent / "examples" / "corridors.ipynb"


def test_the_notebook_is_stored_without_outputs() -> None:
    """The repository keeps the notebook's code, not a run of it (outputs would go stale)."""
    nb = json.loads(NOTEBOOK.read_text())
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert code and all(not c["outputs"] and c["execution_count"] is None for c in code)


@pytest.mark.integration
@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # the Jupyter client's own, not silkrail's
def test_the_example_notebook_runs(real_env, real_net, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """nbclient executes every cell without an error: the route and its legs, the comparison,
    the OD matrix as a GeoDataFrame of 12 pairs with line geometry, its plot, and the map."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(nb, timeout=900, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = {i: c.get("outputs", []) for i, c in enumerate(nb.cells) if c.cell_type == "code"}
    assert not [o for outs in outputs.values() for o in outs if o["output_type"] == "error"]

    def data(cell: int, mime: str) -> str:
        return "".join(str(o.get("data", {}).get(mime, "")) for o in outputs[cell])

    text = {i: "".join(o.get("text", "") for o in outs) for i, outs in outputs.items()}
    assert "nodes" in text[1] and "edges" in text[1]
    assert "days" in text[3] and "VN" in text[3] and "RU" in text[3]
    compared = data(6, "text/plain")
    assert "rail" in compared and "sea" in compared
    od = data(8, "text/html")
    assert od.count("LINESTRING") == 12 and "Duisburg" in od
    assert data(9, "image/png")  # the plot of the GeoDataFrame
    assert "<svg" in data(11, "text/html") and "OpenStreetMap" in data(11, "text/html")
