"""Builders the test modules of several areas share (never fixtures: those live in conftest.py files).

- `samples`: generated task data (`write_samples`).
- `checkpoints`: checkpoint files (`save_torch`).
- `results`: result files' content (`make_result`, `retrieval`).
"""
