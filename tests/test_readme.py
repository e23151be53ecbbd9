"""The README is the front door: its commands, its link schema and its Python example must be true."""

import pathlib
import re
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def test_quick_start_is_the_two_make_commands():
    quick = README.split("## Quick start", 1)[1].split("##", 1)[0]
    commands = re.findall(r"^(make \w+)", quick, flags=re.M)
    assert commands == ["make run", "make test"]
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^run:", makefile, re.M) and re.search(r"^test:", makefile, re.M)
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_link_schema_section_matches_the_schema():
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import link_schema
    finally:
        sys.path.pop(0)
    block = link_schema.table()
    assert block in README, "README link schema is stale: run `.venv/bin/python scripts/link_schema.py --write`"


def test_use_from_python_runs_as_written():
    section = README.split("## Use from Python", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, flags=re.S).group(1)
    probe = code + (
        "\nassert iv.compute_fans((128, 64, 3, 3)) == (576, 1152)"
        "\nassert abs(iv.calculate_gain('leaky_relu', 0.2) - (2 / (1 + 0.2 ** 2)) ** 0.5) < 1e-15"
        "\nframe = res.to_frame()"
        "\nassert {'layer', 'preact_var', 'act_var', 'norm_ratio', 'grad_var'} <= set(frame.columns)"
        "\nassert len(frame) == 30 and res.first_nonfinite_layer is None"
        "\nassert W.shape == (256, 512)"
    )
    subprocess.run([sys.executable, "-c", probe], cwd=ROOT, check=True, capture_output=True, text=True)


def test_readme_images_and_links_exist():
    for target in re.findall(r"\]\(((?!https?://)[^)#]+)\)", README):
        assert (ROOT / target).exists(), f"README points at a missing file: {target}"
