"""The helpers inside a real Jupyter kernel: HTML tables, an SVG diagram, a progress widget whose stored text is
fixed, and API errors shown as the server's message instead of a traceback."""
import json
from pathlib import Path

import nbclient
import nbformat
import pytest

pytestmark = pytest.mark.sandbox
REPO = Path(__file__).resolve().parents[2]


def run_cells(*sources: str) -> list[list[dict]]:
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in sources]
    client = nbclient.NotebookClient(notebook, timeout=120, kernel_name="python3", allow_errors=True,
                                     resources={"metadata": {"path": str(REPO)}})
    client.execute()
    return [cell.outputs for cell in notebook.cells]


def test_rich_outputs_and_clean_errors_in_a_kernel(sandbox_process):
    connect = (f"import helpers\nhelpers.connect(context='workshop-sandbox', "
               f"kubeconfig={json.dumps(str(sandbox_process.kubeconfig))})")
    bad = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: Bad_Name}\n"
    outputs = run_cells(
        connect,
        "helpers.show('nodes')",
        f"helpers.apply({bad!r}, namespace='default')",
        "from helpers.progress import Progress\np = Progress('deployment/x')\np.update(1, 2, 'half')\np.finish('done')",
        "helpers.topology(namespace='kube-system')",
    )
    assert outputs[0][0]["data"]["text/plain"].startswith("Connected to the sandbox")
    table = outputs[1][0]["data"]
    assert "<th style='text-align:left'>ROLES</th>" in table["text/html"]
    assert table["text/plain"].splitlines()[1].split()[:2] == ["NAME", "STATUS"]
    error = outputs[2][0]
    assert error["output_type"] == "error" and error["ename"] == "WorkshopError"
    assert len(error["traceback"]) == 1 and "Traceback" not in error["traceback"][0]
    assert error["traceback"][0].startswith("error when applying configmap/Bad_Name:\nError from server (Invalid)")
    widget, final = outputs[3]
    assert widget["data"]["text/plain"] == "waiting for deployment/x"  # fixed: stored outputs compare equal
    assert "application/vnd.jupyter.widget-view+json" in widget["data"]
    assert final == {"output_type": "stream", "name": "stdout", "text": "done\n"}
    assert outputs[4][0]["data"]["image/svg+xml"].startswith("<svg xmlns=\"http://www.w3.org/2000/svg\"")
