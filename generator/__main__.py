"""`python -m generator` runs the congxa command."""

from __future__ import annotations

from .cli import main

main()
