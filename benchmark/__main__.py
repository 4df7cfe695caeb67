"""`python -m longbench ...`, and so `torchrun --nproc-per-node N -m longbench run ...`: the `longbench` command."""

from .cli import app

if __name__ == "__main__":
    app(prog_name="longbench")
