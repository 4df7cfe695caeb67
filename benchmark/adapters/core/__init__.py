"""What every backend shares: the model protocol (protocol.py), the registries of models, name prefixes, folder
formats and checkpoint layouts (registry.py), `load_model` (loading.py), checkpoint files read safely
(checkpoint_files.py), weights on this machine or the Hub (weights.py), `hf:` sources pinned to a commit
(hf_source.py) and positional tables stretched or recognised (stretch.py). Nothing here imports a backend.
"""
