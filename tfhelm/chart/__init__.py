"""Charts: the data model, Chart.yaml validation and loading from directories and archives."""

from tfhelm.chart.loader import load_chart
from tfhelm.chart.model import Chart, Dependency, Maintainer, Metadata

__all__ = ["Chart", "Dependency", "Maintainer", "Metadata", "load_chart"]
