"""Experiments on top of the simulator: result storage, summaries and plots.

``experiments.cli`` is the ``cgx`` command line on top of these.
"""

from experiments.plots import abatement_curve, cross_border_flows, price_paths, save_all
from experiments.store import (MANIFEST, OutputExists, check_output, read_manifest, read_run,
                               write_run)
from experiments.summary import summary_table

__all__ = [
    "MANIFEST", "OutputExists", "abatement_curve", "check_output", "cross_border_flows",
    "price_paths", "read_manifest", "read_run", "save_all", "summary_table", "write_run",
]
