"""Run every benchmark script in this folder (``bench_*.py``) and let each print its figures."""

import runpy
import sys
from pathlib import Path

scripts = sorted(Path(__file__).parent.glob("bench_*.py"))
selected = [s for s in scripts if not sys.argv[1:] or s.stem in sys.argv[1:]]
if not selected:
    print("No benchmark scripts yet." if not scripts else f"No benchmark named {sys.argv[1:]}")
for script in selected:
    print(f"== {script.stem}")
    runpy.run_path(str(script), run_name="__main__")
