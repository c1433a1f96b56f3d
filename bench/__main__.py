"""``python -m bench [--scale small|100k|1m|10m] [bench_name …]``: every benchmark (or the named ones) at one
scale, then one table of figures beside their floors (see bench/suite.py)."""

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.suite import SCALES, run

parser = argparse.ArgumentParser(prog="python -m bench")
parser.add_argument("--scale", default=os.environ.get("SCALE") or "small", choices=sorted(SCALES))
parser.add_argument("names", nargs="*", help="only these bench_* scripts")
args = parser.parse_args()
sys.exit(run(args.scale, args.names))
