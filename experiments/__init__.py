"""Experiments on top of the simulator: result storage, summaries and plots; experiment
designs, the parallel runner, the experiment store, analysis and reports.

The ``cgx`` package (command line and Python facade) is the interface on top of these.
"""

from experiments.catalog import RunRecord, Store, open_store
from experiments.design import Plan, plan_experiment, replication_seed
from experiments.plots import abatement_curve, cross_border_flows, price_paths, save_all
from experiments.report import render_report, write_report
from experiments.runner import (ExperimentResult, execute_run, experiment_status,
                                resume_experiment, run_experiment)
from experiments.spec import (ExperimentError, ExperimentSpec, builtin_experiments,
                              load_experiment, parse_experiment)
from experiments.store import (MANIFEST, OutputExists, check_output, read_manifest, read_run,
                               write_run)
from experiments.summary import summary_table

__all__ = [
    "MANIFEST", "ExperimentError", "ExperimentResult", "ExperimentSpec", "OutputExists",
    "Plan", "RunRecord", "Store", "abatement_curve", "builtin_experiments", "check_output",
    "cross_border_flows", "execute_run", "experiment_status", "load_experiment",
    "open_store", "parse_experiment", "plan_experiment", "price_paths", "read_manifest",
    "read_run", "render_report", "replication_seed", "resume_experiment", "run_experiment",
    "save_all", "summary_table", "write_report", "write_run",
]
