"""congxa: standardized e-information pages for Vietnam's commune-level units."""

from __future__ import annotations

__version__ = "0.1.0"
