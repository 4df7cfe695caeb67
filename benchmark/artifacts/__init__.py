"""The artifacts layer: everything longbench writes for a reader, and how.

- results.py: the result file (one versioned JSON document per model and task) and its dataclasses;
- probes.py: the probe file (`longbench probe`), versioned the same way;
- schema.py: the upgrade chain both documents are read through (older versions upgraded, newer refused);
- store.py: where result files go under `--output`, when one may replace another, one writer at a time;
- outputs.py: every output location checked before any work starts, and kept inside its folder;
- atomic.py: writes a reader never sees half of.
"""
