"""tsvideo-widget: time series next to video or audio in Jupyter, kept in step."""

from importlib.metadata import PackageNotFoundError, version

from .alignfit import AlignmentFit
from .data import DataError
from .errors import AlignmentError, CacheWarning
from .export import to_html
from .media import MediaError
from .sample import Sample, sample
from .suggestions import Suggestions
from .timemap import TimeMap
from .widget import TimeSeriesVideo

try:
    __version__ = version("tsvideo-widget")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"

__all__ = [
    "AlignmentError",
    "AlignmentFit",
    "CacheWarning",
    "DataError",
    "MediaError",
    "Sample",
    "Suggestions",
    "TimeMap",
    "TimeSeriesVideo",
    "__version__",
    "sample",
    "to_html",
]
