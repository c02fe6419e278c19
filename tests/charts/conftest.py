"""Lets the chart tests import their shared support module, tfcluster.py, by name."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
