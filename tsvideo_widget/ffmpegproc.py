"""Running the ffmpeg binary shipped by imageio-ffmpeg: finding it, its input, its pipes.

Shared by the audio decoder (:mod:`~tsvideo_widget.audiodecode`) and the
alignment features (:mod:`~tsvideo_widget.features`): the binary's path (a
MediaError saying how to get it), a source's input options (a file path, an
http(s) URL with a timeout, or bytes on ``pipe:0``; a URL path on the notebook
server is refused, only the browser can reach it), a thread that drains
ffmpeg's standard error (its last lines go into error messages), and one that
feeds bytes to its standard input.
"""

from __future__ import annotations

import collections
import contextlib
import io
import re
import subprocess
import threading
from types import TracebackType
from typing import IO, cast

from .errors import MediaError, NoStreamError
from .media import URL_PATH_PREFIX, MediaSource, mask_url

STDERR_LINES = 40
"""Lines of ffmpeg's standard error kept for error messages (int)."""

PIPE_BYTES = 1 << 20
"""Pipe buffer asked for on Linux (bytes; the default 64 KiB makes ffmpeg wait for the reader)."""

FEED_BYTES = 1 << 16
"""Bytes written to ffmpeg's standard input at a time (bytes sources)."""

_DURATION = re.compile(rb"Duration:\s*(\d+):(\d{2}):(\d{2}(?:\.\d+)?)")

__all__ = ["PIPE_BYTES", "Feeder", "FfmpegRun", "Stderr", "describe", "ffmpeg_exe", "input_args"]


def ffmpeg_exe() -> str:
    """Path of the ffmpeg binary of imageio-ffmpeg; MediaError saying how to get it."""
    try:
        import imageio_ffmpeg
    except ImportError as err:
        raise MediaError(
            "media is decoded with the ffmpeg binary of the imageio-ffmpeg package, which "
            "is not installed: pip install imageio-ffmpeg"
        ) from err
    try:
        return str(imageio_ffmpeg.get_ffmpeg_exe())
    except Exception as err:
        raise MediaError(
            f"imageio-ffmpeg has no ffmpeg binary for this platform ({err}); reinstall it "
            "(pip install --force-reinstall imageio-ffmpeg) or set IMAGEIO_FFMPEG_EXE to the "
            "path of an ffmpeg executable"
        ) from err


def describe(source: MediaSource) -> str:
    """The source as named in messages: the full path, the masked URL, or its name."""
    if source.source == "file" and source.path:
        return source.path
    if source.source == "url" and source.url:
        return mask_url(source.url)
    return source.name


def input_args(source: MediaSource, name: str, what: str = "audio") -> list[str]:
    """ffmpeg's input options for ``source`` (named ``name``); MediaError for what Python
    cannot read. ``what`` (str, "audio") says what is decoded, in messages."""
    if source.source == "bytes":
        if not source.data:
            raise MediaError(f"{name!r} holds no bytes; pass the media bytes")
        return ["-i", "pipe:0"]
    if source.source == "file":
        if not source.path:
            raise MediaError(f"media {name!r} has no path; pass the path of the media file")
        # "file:" keeps a name with a colon or starting with "-" from reading as a protocol.
        return ["-i", "file:" + source.path]
    url = source.url or ""
    if url.startswith(URL_PATH_PREFIX) or not re.match(r"(?i)https?://", url):
        raise MediaError(
            f"the {what} of {name!r} cannot be decoded in Python: it is a URL path on the "
            "notebook server, which only the browser can reach; pass the local file path "
            "(or the bytes) instead"
        )
    # Give up on a stalled server instead of hanging (microseconds).
    return ["-rw_timeout", "30000000", "-i", url]


class Stderr(threading.Thread):
    """Drains ffmpeg's standard error: keeps the last lines and the input's duration."""

    def __init__(self, stream: IO[bytes]) -> None:
        super().__init__(name="tsvideo-ffmpeg-stderr", daemon=True)
        self.stream = stream
        self.lines: collections.deque[bytes] = collections.deque(maxlen=STDERR_LINES)
        self.duration: float | None = None

    def run(self) -> None:
        for line in iter(self.stream.readline, b""):
            if self.duration is None:
                m = _DURATION.search(line)
                if m:
                    h, mi, s = m.groups()
                    self.duration = int(h) * 3600 + int(mi) * 60 + float(s)
            self.lines.append(line.rstrip()[:400])

    def text(self) -> str:
        """ffmpeg's last lines of messages (the error is usually the last), as one string."""
        lines = [ln.decode("utf-8", "replace").strip() for ln in self.lines]
        tail = "; ".join(ln for ln in lines[-6:] if ln)
        return tail[-1000:] or "(no message)"


class Feeder(threading.Thread):
    """Writes bytes to ffmpeg's standard input, then closes it; counts what was written."""

    def __init__(self, stream: IO[bytes], data: bytes) -> None:
        super().__init__(name="tsvideo-ffmpeg-stdin", daemon=True)
        self.stream = stream
        self.data = data
        self.fed = 0

    def run(self) -> None:
        view = memoryview(self.data)
        try:
            for off in range(0, len(view), FEED_BYTES):
                self.stream.write(view[off : off + FEED_BYTES])
                self.fed = min(len(view), off + FEED_BYTES)
        except (BrokenPipeError, OSError, ValueError):
            pass  # ffmpeg stopped reading: its exit status and messages say why
        finally:
            with contextlib.suppress(OSError):
                self.stream.close()


class FfmpegRun:
    """One ffmpeg run writing to a pipe: start, read ``stdout``, then :meth:`finish`.

    ``before`` and ``after`` are ffmpeg's options before and after the input; the output
    goes to ``pipe:1``. A source given as bytes is fed on ``pipe:0`` by a thread. A context
    manager: leaving it kills ffmpeg if it still runs and joins its threads.

    Args:
        source: the media (a file, an http(s) URL, or bytes).
        before: options before the input (decoder options), list of str.
        after: options after the input (stream mapping, filters, output format).
        what: what is decoded ("audio", "video"), in messages.
    """

    def __init__(self, source: MediaSource, before: list[str], after: list[str], what: str) -> None:
        self.name = describe(source)
        self.what = what
        inputs = input_args(source, self.name, what)
        exe = ffmpeg_exe()
        cmd = [exe, "-hide_banner", "-nostdin", "-nostats", *before, *inputs, *after, "pipe:1"]
        feeding = source.source == "bytes"
        try:
            self.proc = subprocess.Popen(
                cmd,
                stdin=subprocess.PIPE if feeding else subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                pipesize=PIPE_BYTES,
            )
        except OSError as err:
            raise MediaError(
                f"cannot run ffmpeg ({exe}) to decode the {what} of {self.name!r}: {err}; "
                "reinstall imageio-ffmpeg (pip install --force-reinstall imageio-ffmpeg)"
            ) from err
        assert self.proc.stdout is not None and self.proc.stderr is not None
        self.errs = Stderr(self.proc.stderr)
        self.errs.start()
        self.feeder: Feeder | None = None
        if feeding:
            assert self.proc.stdin is not None and source.data is not None
            self.feeder = Feeder(self.proc.stdin, source.data)
            self.feeder.start()
        self.stdout = cast(io.BufferedReader, self.proc.stdout)

    def __enter__(self) -> FfmpegRun:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        err: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self.stdout.close()
        self.errs.join(timeout=5)
        if self.feeder is not None:
            self.feeder.join(timeout=5)

    def fraction(self, seconds: float) -> float | None:
        """How far ``seconds`` of decoded media is into the input (0..1), or None if unknown."""
        if self.errs.duration:
            return min(1.0, seconds / self.errs.duration)
        if self.feeder is not None and self.feeder.data:
            return min(1.0, self.feeder.fed / len(self.feeder.data))
        return None

    def finish(self, no_stream: str | None = None) -> None:
        """Wait for ffmpeg; NoStreamError (with ``no_stream`` as its message, when given) or
        MediaError naming the source if it failed."""
        code = self.proc.wait()
        self.errs.join(timeout=5)
        if self.feeder is not None:
            self.feeder.join(timeout=5)
        if code == 0:
            return
        text = self.errs.text()
        if "matches no streams" in text or "does not contain any stream" in text:
            raise NoStreamError(
                no_stream
                or f"{self.name!r} has no {self.what} stream; pass a file with {self.what}"
            )
        raise MediaError(
            f"ffmpeg could not decode the {self.what} of {self.name!r} (exit status {code}): {text}"
        )
