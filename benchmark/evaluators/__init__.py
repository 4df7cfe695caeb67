"""Evaluators: turn a task's dataset into metrics by driving the encoder and the metric functions."""
