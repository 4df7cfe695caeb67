"""Reports on result files: the results table, leaderboard.md and the CI regression gate.

The report reads result and probe files only (never models or data), so it runs anywhere the files are.
"""

from __future__ import annotations

from .collect import ProbeRecord, ResultRecord, ResultSet, load_results, read_probe, results_frame
from .gate import GateInputError, GateReport, GateRow, gate
from .leaderboard import build_leaderboard
from .references import ReferenceRow, ReferenceSource, load_references

__all__ = [
    "GateInputError",
    "GateReport",
    "GateRow",
    "ProbeRecord",
    "ReferenceRow",
    "ReferenceSource",
    "ResultRecord",
    "ResultSet",
    "build_leaderboard",
    "gate",
    "load_references",
    "load_results",
    "read_probe",
    "results_frame",
]
