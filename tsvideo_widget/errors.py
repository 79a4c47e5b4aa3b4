"""The exceptions this package raises for values it refuses.

Every one of them is a :class:`traitlets.TraitError`: traitlets rolls a trait
back only on ``TraitError`` (``hold_trait_notifications``, which ipywidgets'
``set_state`` uses for every change that comes from the browser), so a value
refused for any reason, from Python or from the browser, leaves the widget
exactly as it was. Each is also the builtin exception a caller would expect
(``ValueError``, ``TypeError``, ``FileNotFoundError``), so ``except
ValueError`` keeps working.
"""

from __future__ import annotations

import traitlets


class TsvError(traitlets.TraitError, ValueError):
    """Base of the value errors of this package; the message names the culprit and a fix."""


class TsvTypeError(traitlets.TraitError, TypeError):
    """A value of the wrong type (a TraitError and a TypeError)."""


class TsvFileNotFoundError(traitlets.TraitError, FileNotFoundError):
    """A data, media or labels file that does not exist (a TraitError and a FileNotFoundError)."""


class DataError(TsvError):
    """A time series the widget cannot show; the message says why and what works."""


class MediaError(TsvError):
    """A media source the widget cannot use; the message says what works."""


class RegionError(TsvError):
    """A region that cannot exist; the message names the region, the field and the value."""


class LabelFileError(TsvError):
    """A labels file that is broken, foreign or changed by someone else; it is never overwritten."""


class AutosaveError(TsvError):
    """A change that cannot be saved to the autosave file, so it was not made."""


class AlignmentError(TsvError):
    """A sync point, fit or alignment that cannot be made; the message names the point or track."""


class NoStreamError(MediaError):
    """A media file without the audio or video stream a job needs (a MediaError naming it)."""


class CacheWarning(UserWarning):
    """The pyramid cache could not be written (a read-only or full folder).

    The widget still works: the pyramid is built in memory, and built again at the
    next open. The message names the folder and the operating system's reason.
    """
