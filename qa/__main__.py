"""``python -m qa``: the same command as ``qa``."""

from qa.cli import main

main(prog_name="qa")
