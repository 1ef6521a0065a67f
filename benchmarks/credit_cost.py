"""Added cost of the banking model per simulated month, at 50 banks and 5,000 firms.

Usage: ``python benchmarks/credit_cost.py [--firms 5000] [--banks 50] [--months 6]``

Builds the baseline scaled to ``--firms`` firms with ``--banks`` banks (half in each region,
joint committee, the heaviest regime), runs the first month so loans exist, then times the
monthly credit cycle alone for ``--months`` months. The baseline it is compared against is
the rest of the model over one month of the same world, run in the same process.
"""

from __future__ import annotations

import argparse
import json
import time

from run_scaling import sized  # the baseline scaled to a number of firms (same folder)
from scenarios import build_world, load_scenario


def overrides(firms: int, banks: int) -> list[str]:
    out = sized(firms, years=1)
    lenders = ", ".join(
        f"{{name: {region[:2]}-{k}, region: {region}, capital_yuan: 8.0e8, "
        f"deposits_yuan: 8.0e9}}"
        for k in range(banks // 2) for region in ("changshou", "guangan"))
    out.append(f"banks={{regime: joint_committee, lenders: [{lenders}]}}")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--firms", type=int, default=5000)
    parser.add_argument("--banks", type=int, default=50)
    parser.add_argument("--months", type=int, default=6)
    args = parser.parse_args()
    world = build_world(load_scenario("baseline", overrides(args.firms, args.banks)), 1)
    days = world.venue.calendar.days_per_year
    start = time.perf_counter()
    world.env.run(until=days / 12 + 0.5)  # first month: trading plus one credit cycle
    first_month = time.perf_counter() - start
    credit = world.credit
    start = time.perf_counter()
    for month in range(1, 1 + args.months):
        credit.month(month)
    per_month = (time.perf_counter() - start) / args.months
    print(f"firms {len(world.firms)}, banks {len(credit.banks)}, loans {len(credit.loans)}")
    print(f"one simulated month of the whole model: {first_month:.2f} s")
    print(f"credit cycle alone, per month:          {per_month:.3f} s "
          f"({per_month / first_month:.1%} of a month of the model)")
    print(json.dumps({"firms": len(world.firms), "banks": len(credit.banks),
                      "loans": len(credit.loans), "month_of_model_s": round(first_month, 3),
                      "credit_month_s": round(per_month, 4),
                      "ratio": round(per_month / first_month, 4)}))


if __name__ == "__main__":
    main()
