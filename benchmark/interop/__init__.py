"""What longbench knows about other evaluation tools: their names for longbench's tasks (only where the data and
the protocol were verified to be the same; docs/interop.md says how) and reading their result files into
longbench's (imports). Metric names come from the metric registry's aliases, never from here.

The exports, which read result files as the report does, live in report/exports/.
"""
