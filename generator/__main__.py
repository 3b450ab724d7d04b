"""`python -m generator` runs the congxa command."""

from __future__ import annotations

from generator.cli import main

main()
