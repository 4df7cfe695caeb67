"""Metrics: pure functions of embeddings/scores and ground truth (numpy in, numbers out)."""
