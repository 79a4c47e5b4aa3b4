"""A small synthetic recording session that ships with the package.

The session lasts 30.0 s and comes as three files in ``tsvideo_widget/sample_data/``:

* ``walk.csv`` - the time series: 3001 rows sampled at 100 Hz, ``time`` from 0.00 to 30.00 s
  in steps of 0.01 s, and exactly the columns ``time, height, ax, ay, az``. ``height`` (0..1)
  is the vertical position of the dot seen in the video; ``ax``, ``ay`` and ``az`` are
  accelerometer-like channels in m/s^2 derived from the same motion (``az`` includes gravity).
  The motion is a slow walk (0-12 s), a faster run (12-22 s) and a still phase (22-30 s), with
  sharp jumps of ``height`` at 6.00, 6.60, 25.00 and 27.00 s that make sync errors easy to see.
* ``walk.mp4`` - the matching video: H.264 (yuv420p, faststart), 320x240, 25 fps, 750 frames,
  30.0 s, no audio track. Frame ``k`` shows time ``k / 25`` s: the dot at that time's
  ``height``, the time and frame number burnt in (``t = 12.36 s``, ``frame 309``) and the phase.
* ``walk.ogg`` - the matching audio: Opus in Ogg, mono, 48 kHz, about 48 kbit/s, 30.0 s. A tone
  whose pitch follows ``height`` (300 + 500 * height Hz) plus a short 2 kHz beep at every whole
  second.

The files are produced by ``scripts/make_sample.py`` (deterministic).

Example::

    from tsvideo_widget import sample

    s = sample()
    df = pandas.read_csv(s.data)
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path
from typing import NamedTuple

__all__ = ["Sample", "sample"]

_DATA_FILE = "walk.csv"
_VIDEO_FILE = "walk.mp4"
_AUDIO_FILE = "walk.ogg"


class Sample(NamedTuple):
    """Absolute paths to the three files of the bundled 30.0 s sample session."""

    data: Path
    """``walk.csv``: 3001 rows at 100 Hz (0.00-30.00 s), columns ``time, height, ax, ay, az``."""

    video: Path
    """``walk.mp4``: H.264, 320x240, 25 fps, 750 frames (30.0 s), no audio track."""

    audio: Path
    """``walk.ogg``: Opus in Ogg, mono 48 kHz, 30.0 s; pitch follows ``height``, beep per second."""


def _sample_file(name: str) -> Path:
    """Absolute path of ``sample_data/<name>`` inside the installed package, checked to exist."""
    path = Path(str(files("tsvideo_widget") / "sample_data" / name)).resolve()
    if not path.is_file():
        raise FileNotFoundError(
            f"Sample file {name!r} is missing (looked for {path}). "
            "Regenerate the sample data with `python scripts/make_sample.py` "
            "from a source checkout of tsvideo-widget."
        )
    return path


def sample() -> Sample:
    """Return the paths of the bundled sample session (time series, video and audio).

    All three files describe the same synthetic 30.0 s session and are in step: the CSV row at
    time ``t`` is what the video frame and the audio show at ``t``. See the module docstring for
    the content of each file.

    Raises:
        FileNotFoundError: if one of the files is missing from the installed package.
    """
    return Sample(
        data=_sample_file(_DATA_FILE),
        video=_sample_file(_VIDEO_FILE),
        audio=_sample_file(_AUDIO_FILE),
    )
