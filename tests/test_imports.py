"""The core is pure computation: importing it must not load streamlit or plotly."""

import subprocess
import sys


def test_core_import_loads_neither_streamlit_nor_plotly():
    code = (
        "import sys, initviz\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in {'streamlit', 'plotly'})\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"import initviz loaded: {out.stdout.strip()}"
