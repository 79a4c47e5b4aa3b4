"""Reading the caller's ``data`` argument into a DataFrame.

:func:`as_frame` accepts a DataFrame (returned as is), a dict of 1-D arrays
(wrapped without a copy), a pyarrow Table or RecordBatch or a polars DataFrame
or LazyFrame (converted by :mod:`tsvideo_widget.arrowinputs`, their number and
timestamp columns kept as views of the Arrow buffers where they can be), or the
path or URL of a CSV/TSV (optionally gzipped) or Parquet file. Files and URLs
are where most input mistakes happen (a wrong separator, an Excel encoding, an
empty download, an unreachable server), so each is refused with the file or
URL at fault (secrets masked) and a way to read it instead. Checking the
columns and the time column is left to :mod:`tsvideo_widget.data` and
:mod:`tsvideo_widget.timecol`.
"""

from __future__ import annotations

import codecs
import gzip
import http.client
import io
import os
import re
import urllib.error
import urllib.request
import warnings
from collections.abc import Mapping
from typing import Any, Literal
from urllib.parse import urlsplit

import numpy as np
import pandas as pd

from .arrowinputs import arrow_frame, is_arrow_backed
from .errors import DataError, TsvFileNotFoundError, TsvTypeError
from .media import mask_url

__all__ = ["URL_TIMEOUT_S", "as_frame"]

URL_TIMEOUT_S = 60.0
"""Seconds an http(s) data URL may stay silent (connecting, or between reads) before it fails."""

# The separator each text extension implies; the separators a header may hint at instead.
_TEXT_SEPS = {".csv": ",", ".csv.gz": ",", ".txt": ",", ".tsv": "\t"}
_SEP_NAMES = {";": "semicolon", "\t": "tab", ",": "comma", "|": "pipe"}
_HEAD_BYTES = 1 << 16
"""Bytes of a text file read up front to tell its encoding and its header line."""


def as_frame(data: Any) -> pd.DataFrame:
    """``data`` as a DataFrame, read from its file or URL if it names one.

    Args:
        data: a DataFrame (returned as is), a dict of equal-length 1-D arrays
            (wrapped without a copy), a pyarrow Table or RecordBatch, a polars
            DataFrame or LazyFrame (collected; see
            :func:`tsvideo_widget.arrowinputs.arrow_frame`: number and
            timestamp columns without nulls in one chunk stay views of the
            Arrow buffers, chunked columns are concatenated once, number
            columns with nulls become float columns with NaN gaps), or a path (str
            or os.PathLike) or URL of a .csv, .csv.gz, .txt, .tsv or .parquet
            file. http(s) URLs are downloaded here, failing after
            :data:`URL_TIMEOUT_S` seconds of silence (read from this module at
            each call); other schemes (s3://, gs://, ...) are left to pandas.
            Neither polars nor pyarrow is imported here for other inputs
            (Parquet files aside).

    Raises:
        DataError: a file or URL that cannot be read as a table, or holds no rows;
            dict entries that are not 1-D or differ in length; a polars
            LazyFrame whose query fails.
        TsvFileNotFoundError: a path that does not exist.
        TsvTypeError: ``data`` of another type, or a pyarrow or polars object
            that is not a table (a Series, an Array, ...), naming what to pass.
    """
    if isinstance(data, pd.DataFrame):
        return data
    if is_arrow_backed(data):
        return arrow_frame(data)
    if isinstance(data, (str, os.PathLike)):
        return _read_table(os.fspath(data))
    if isinstance(data, Mapping):
        lengths = {}
        for k, v in data.items():
            arr = np.asarray(v)
            if arr.ndim != 1:
                raise DataError(
                    f"dict entry {k!r} has shape {arr.shape}: each entry must be a 1-D array"
                )
            lengths[k] = arr.shape[0]
        if len(set(lengths.values())) > 1:
            raise DataError(
                f"dict entries differ in length: {lengths}; every array must have one "
                "value per sample"
            )
        return pd.DataFrame({k: np.asarray(v) for k, v in data.items()}, copy=False)
    raise TsvTypeError(
        f"data of type {type(data).__name__} is not supported: pass a pandas DataFrame, "
        "a pyarrow Table, a polars DataFrame or LazyFrame, a path or URL of a CSV/Parquet "
        "file, or a dict of 1-D arrays"
    )


def _read_table(path: str) -> pd.DataFrame:
    """Read a CSV or Parquet file (local path or URL) into a DataFrame, or say why not."""
    is_url = "://" in path
    shown = mask_url(path) if is_url else path
    scheme, lower = "", path.lower()
    if is_url:
        try:
            parts = urlsplit(path)
        except ValueError as err:
            raise DataError(f"data URL {shown!r} is not a valid URL ({err})") from err
        scheme, lower = parts.scheme.lower(), parts.path.lower()
    if not is_url:
        if not os.path.exists(path):
            raise TsvFileNotFoundError(
                f"data file {path!r} does not exist (looked in {os.getcwd()!r}); "
                "pass a DataFrame, a dict of arrays, or the path of a CSV or Parquet file"
            )
        if os.path.isdir(path):
            raise DataError(f"data path {path!r} is a folder; pass a CSV or Parquet file in it")
    is_parquet = lower.endswith((".parquet", ".pq"))
    sep = next((v for k, v in _TEXT_SEPS.items() if lower.endswith(k)), None)
    if not is_parquet and sep is None:
        raise DataError(
            f"cannot tell the format of {shown!r} from its extension: "
            "use .csv, .tsv or .parquet, or read it yourself and pass a DataFrame"
        )
    source: str | io.BytesIO = path
    head: bytes | None = None  # another scheme (s3://, gs://, ...): pandas and fsspec read it
    if scheme in ("http", "https"):
        body, gz_encoded = _download(path, shown)
        if gz_encoded or lower.endswith(".gz"):
            body = _gunzip(body, shown)
        if not body:
            raise DataError(f"data URL {shown!r} answered with an empty file (0 bytes)")
        source = io.BytesIO(body)
        head = body[:_HEAD_BYTES]
    elif not is_url:
        if os.path.getsize(path) == 0:
            raise DataError(
                f"data file {path!r} is empty (0 bytes); pass a file with a header and rows"
            )
        if not is_parquet:
            head = _head_of(path, lower.endswith(".gz"))
    if is_parquet:
        return _read_parquet(source, shown)
    assert sep is not None
    return _read_csv(source, shown, sep, head)


def _download(url: str, shown: str) -> tuple[bytes, bool]:
    """The body of an http(s) URL, and whether the server gzipped it."""
    advice = "or download the file and pass its path"
    try:
        with urllib.request.urlopen(url, timeout=URL_TIMEOUT_S) as resp:
            body = resp.read()
            gz = resp.headers.get("Content-Encoding", "").strip().lower() == "gzip"
    except urllib.error.HTTPError as err:
        raise DataError(
            f"data URL {shown!r} answered HTTP {err.code} ({err.reason}); check the address, "
            f"{advice}"
        ) from err
    except urllib.error.URLError as err:
        raise DataError(
            f"data URL {shown!r} could not be reached ({err.reason}); check the address and "
            f"the network, {advice}"
        ) from err
    except (OSError, ValueError, http.client.HTTPException) as err:
        raise DataError(f"data URL {shown!r} could not be read ({err!r}); {advice}") from err
    return body, gz


def _gunzip(body: bytes, shown: str) -> bytes:
    try:
        return gzip.decompress(body)
    except (OSError, EOFError) as err:
        raise DataError(f"{shown!r} is not a readable gzip file ({err})") from err


def _head_of(path: str, gz: bool) -> bytes:
    """The first bytes of a local file (decompressed for .gz), for sniffing its encoding."""
    try:
        if gz:
            with gzip.open(path, "rb") as f:
                return f.read(_HEAD_BYTES)
        with open(path, "rb") as f:
            return f.read(_HEAD_BYTES)
    except (OSError, EOFError) as err:
        raise DataError(f"data file {path!r} could not be read ({err})") from err


def _read_parquet(source: str | io.BytesIO, shown: str) -> pd.DataFrame:
    try:
        import pyarrow  # noqa: F401
    except ImportError as err:
        raise DataError(
            f"reading {shown!r} needs pyarrow: pip install pyarrow, or convert it to CSV"
        ) from err
    try:
        df = pd.read_parquet(source)
    except (ValueError, OSError, ImportError) as err:
        raise DataError(
            f"{shown!r} could not be read as Parquet ({err}); read it yourself and pass a DataFrame"
        ) from err
    if len(df) == 0:
        raise DataError(f"data file {shown!r} has no rows: at least one sample is needed")
    return df


def _csv_encoding(head: bytes | None, shown: str) -> str:
    """The text encoding of a CSV from its first bytes: UTF-8, or UTF-16/32 with a BOM."""
    if head is None:
        return "utf-8"
    if head.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return "utf-32"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if b"\0" in head:
        raise DataError(
            f"data file {shown!r} holds NUL bytes: it looks like UTF-16 text without a "
            "byte-order mark, or not text at all; read it with "
            "df = pd.read_csv(path, encoding='utf-16') (or 'utf-16-be') and pass the DataFrame"
        )
    return "utf-8"


def _sep_advice(header: str, sep: str) -> str | None:
    """What to do when a header line looks split by another separator than ``sep``."""
    for other, name in _SEP_NAMES.items():
        if other != sep and other in header and sep not in header:
            extra = " (add decimal=',' if its numbers use decimal commas)" if other == ";" else ""
            return (
                f"it looks {name}-separated: read it with "
                f"df = pd.read_csv(path, sep={other!r}){extra} and pass the DataFrame"
            )
    return None


def _read_csv(source: str | io.BytesIO, shown: str, sep: str, head: bytes | None) -> pd.DataFrame:
    encoding = _csv_encoding(head, shown)
    # A path's compression follows its extension; downloaded bytes are already plain.
    compression: Literal["infer"] | None = "infer" if isinstance(source, str) else None
    first = (
        head.decode(encoding, errors="replace").lstrip("\ufeff").split("\n", 1)[0] if head else ""
    )
    try:
        with warnings.catch_warnings():
            # index_col=False: pandas would otherwise take the first column as the
            # index when every row has one field more than the header, shifting
            # every column; the warning it gives instead means fields would be lost.
            warnings.simplefilter("error", pd.errors.ParserWarning)
            df = pd.read_csv(
                source, sep=sep, encoding=encoding, index_col=False, compression=compression
            )
    except pd.errors.EmptyDataError as err:
        raise DataError(f"data file {shown!r} holds no header and no rows (it is blank)") from err
    except (pd.errors.ParserError, pd.errors.ParserWarning) as err:
        m = re.search(r"line (\d+)", str(err))
        where = f"line {m.group(1)} has" if m else "its rows have"
        fix = _sep_advice(first, sep) or (
            "fix the file, or read it yourself (pd.read_csv(path, ...)) and pass the DataFrame"
        )
        raise DataError(
            f"data file {shown!r}: {where} a different number of fields than the header "
            f"({str(err).strip()}); {fix}"
        ) from err
    except UnicodeDecodeError as err:
        byte = err.object[err.start : err.start + 1]
        raise DataError(
            f"data file {shown!r} is not {encoding.upper()} text (byte {byte!r} cannot be "
            "decoded); if it was saved by Excel or an older Windows program read it with "
            "df = pd.read_csv(path, encoding='cp1252') (or its own encoding) and pass the DataFrame"
        ) from err
    except (OSError, ImportError) as err:
        raise DataError(f"data file {shown!r} could not be read ({err})") from err
    if df.shape[1] == 1:
        advice = _sep_advice(str(df.columns[0]), sep)
        if advice is not None:
            raise DataError(
                f"data file {shown!r} was read as one column {df.columns[0]!r}: {advice}"
            )
    if len(df) == 0:
        raise DataError(
            f"data file {shown!r} has no rows (only a header: {list(map(str, df.columns))}); "
            "at least one sample is needed"
        )
    return df
