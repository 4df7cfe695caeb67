"""Getting and checking datasets: the source table, resumable downloads, safe extraction, status and verify."""

from .install import FetchReport, PartResult, fetch, part_location, resolve_source
from .instructions import ManualFetchError, manual_instructions
from .sources import MANUAL, SOURCES, Expect, Manual, Part, Place, Source
from .status import DataStatusRow, data_status, obtain_hint
from .verify import VerifyReport, verify, verify_task

__all__ = ["MANUAL", "SOURCES", "DataStatusRow", "Expect", "FetchReport", "Manual", "ManualFetchError", "Part",
           "PartResult", "Place", "Source", "VerifyReport", "data_status", "fetch", "manual_instructions",
           "obtain_hint", "part_location", "resolve_source", "verify", "verify_task"]
