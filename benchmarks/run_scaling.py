"""Wall time and peak memory of ``cgx run baseline``, and how run time grows with firms.

Usage: ``python benchmarks/run_scaling.py [--sizes 100 1000 10000] [--years 1] [--repeats 3]``

Each measurement runs in a fresh child process (so peak RSS is that run's alone). The
scaling runs shorten the baseline to ``--years`` and scale every sector's firm count so the
population totals each size; the growth exponent is the slope of log time on log firms.
The smallest size is the baseline the ratios are taken against.
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHILD = """
import sys, time, resource
from scenarios import load_scenario, run_scenario
overrides = sys.argv[1:]
scenario = load_scenario("baseline", overrides)
start = time.perf_counter()
result = run_scenario(scenario, 1)
print(time.perf_counter() - start, result.kpis["trades"])
"""


def measure(overrides: list[str]) -> tuple[float, int, float]:
    """Seconds, trades and peak RSS in MiB of one run in a child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    out = subprocess.run([sys.executable, "-c", CHILD, *overrides], check=True,
                         capture_output=True, text=True).stdout.split()
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return float(out[0]), int(out[1]), max(peak, before) / 1024


def cli_run(repeats: int) -> tuple[list[float], float]:
    """Wall times and peak RSS of the command as a user types it, ``repeats`` times (a
    shared host's noise is larger than the differences worth measuring)."""
    walls = []
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as tmp:
            start = time.perf_counter()
            subprocess.run([sys.executable, "-m", "cgx.cli", "run", "baseline",
                            "--out", str(Path(tmp) / "run")], check=True, capture_output=True)
            walls.append(time.perf_counter() - start)
    return walls, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def sized(size: int, years: int) -> list[str]:
    from scenarios import load_scenario

    base = load_scenario("baseline")
    total = sum(sum(r.firms.values()) for r in base.regions.values())
    overrides = [f"calendar.years={years}"]
    for region, spec in base.regions.items():
        counts = {s: max(1, round(n * size / total)) for s, n in spec.firms.items()}
        overrides.append(f"regions.{region}.firms={json.dumps(counts)}")
    return overrides


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 10000])
    parser.add_argument("--years", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=3, help="runs of cgx run baseline")
    args = parser.parse_args()
    walls, rss = cli_run(args.repeats)
    wall = statistics.median(walls)
    print(f"cgx run baseline: median {wall:.2f} s wall (min {min(walls):.2f}, max "
          f"{max(walls):.2f}, {len(walls)} runs), peak RSS {rss:.0f} MiB")
    rows = []
    for size in args.sizes:
        seconds, trades, _ = measure(sized(size, args.years))
        rows.append((size, seconds, trades))
    base_size, base_seconds, _ = rows[0]
    print(f"{'firms':>8} {'seconds':>9} {'trades':>9} {'x time':>8} {'x firms':>8}")
    for size, seconds, trades in rows:
        print(f"{size:>8} {seconds:>9.2f} {trades:>9} {seconds / base_seconds:>8.1f} "
              f"{size / base_size:>8.0f}")
    (s0, t0, _), (s1, t1, _) = rows[0], rows[-1]
    exponent = math.log(t1 / t0) / math.log(s1 / s0)
    print(f"growth exponent (log time / log firms): {exponent:.2f}")
    print(json.dumps({"cgx_run_baseline_s": round(wall, 2),
                      "cgx_run_baseline_runs_s": [round(w, 2) for w in walls],
                      "peak_rss_mib": round(rss),
                      "scaling": [{"firms": s, "seconds": round(t, 2), "trades": n}
                                  for s, t, n in rows], "exponent": round(exponent, 3)}))


if __name__ == "__main__":
    main()
