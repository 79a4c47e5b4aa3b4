"""Bad input is refused with a TraitError that names the culprit and says what would work."""

from __future__ import annotations

import datetime as dt
import functools
import gzip
import http.server
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from traitlets import TraitError

from tsvideo_widget import readers
from tsvideo_widget.data import prepare
from tsvideo_widget.errors import DataError, MediaError, TsvFileNotFoundError
from tsvideo_widget.media import mask_url, resolve


@contextmanager
def refused(cls: type[Exception], match: str) -> Iterator[pytest.ExceptionInfo[Any]]:
    """Like pytest.raises, and the error must also be a traitlets.TraitError."""
    with pytest.raises(cls, match=match) as info:
        yield info
    assert isinstance(info.value, TraitError), type(info.value).__mro__


# -- column names ----------------------------------------------------------------------


def test_integer_column_names_are_named_with_the_fix() -> None:
    with refused(
        DataError, r"0 \(int\), 1 \(int\) are not.*df\.columns = df\.columns\.astype\(str\)"
    ):
        prepare(pd.DataFrame(np.zeros((3, 2))), time=None)
    with refused(DataError, r"7 \(int\) is not"):
        prepare({"time": np.arange(3.0), 7: np.zeros(3)})


def test_duplicate_column_names_are_named() -> None:
    df = pd.DataFrame([[0.0, 1.0, 2.0, 3.0]], columns=["time", "v", "w", "v"])
    with refused(DataError, r"'v' appear more than once"):
        prepare(df)


def test_multiindex_columns_suggest_flattening() -> None:
    cols = pd.MultiIndex.from_tuples([("time", ""), ("acc", "x"), ("acc", "y")])
    df = pd.DataFrame(np.zeros((2, 3)), columns=cols)
    with refused(DataError, r"MultiIndex.*df\.columns = \['_'\.join\(map\(str, c\)\)"):
        prepare(df)


def test_time_must_be_a_name_or_none() -> None:
    with refused(TypeError, r"time must be a column name.*\['time'\]"):
        prepare(pd.DataFrame({"time": [0.0], "v": [1.0]}), time=["time"])  # type: ignore[arg-type]


def test_duplicate_channels_are_named() -> None:
    with refused(DataError, r"'v' more than once"):
        prepare(pd.DataFrame({"time": [0.0], "v": [1.0]}), channels=["v", "v"])


def test_complex_channel_is_refused_not_cut_to_its_real_part() -> None:
    df = pd.DataFrame({"time": [0.0, 1.0], "z": [1 + 2j, 3 - 1j]})
    with refused(DataError, r"channel 'z' holds complex numbers.*np\.abs"):
        prepare(df)


def test_complex_and_duration_time_columns_say_what_works() -> None:
    with refused(DataError, r"'time' has dtype complex128: use real numbers"):
        prepare(pd.DataFrame({"time": [0j, 1j], "v": [1.0, 2.0]}))
    durations = pd.to_timedelta([0, 1, 2], unit="ms").as_unit("us")
    with refused(DataError, r"'time' holds durations.*astype\('int64'\) with time_unit='us'"):
        prepare(pd.DataFrame({"time": durations, "v": [1.0, 2.0, 3.0]}))


# -- datetime objects ------------------------------------------------------------------

PLUS1 = dt.timezone(dt.timedelta(hours=1))
PLUS2 = dt.timezone(dt.timedelta(hours=2))


def objects(values: list[Any]) -> pd.DataFrame:
    return pd.DataFrame(
        {"time": pd.Series(values, dtype=object), "v": np.arange(len(values), dtype=float)}
    )


def test_naive_datetime_objects_are_read_exactly() -> None:
    t = [dt.datetime(2024, 5, 1, 12, 0, 0, 1), dt.datetime(2024, 5, 1, 12, 0, 0, 500002)]
    s = prepare(objects(t))
    assert (s.kind, s.tz) == ("datetime", None)
    assert s.t0 == pd.Timestamp(t[0])
    assert s.rel_at(1) == pytest.approx(0.500001, abs=1e-12)
    assert s.from_rel(s.rel_at(1)) == pd.Timestamp(t[1])


def test_datetime_objects_in_the_index() -> None:
    idx = pd.Index([dt.datetime(2024, 1, 1), dt.datetime(2024, 1, 1, 0, 0, 2)], dtype=object)
    s = prepare(pd.DataFrame({"v": [1.0, 2.0]}, index=idx), time=None)
    assert s.kind == "datetime" and s.span == 2.0


def test_aware_datetime_objects_keep_their_zone() -> None:
    s = prepare(
        objects(
            [dt.datetime(2024, 1, 1, tzinfo=PLUS1), dt.datetime(2024, 1, 1, 0, 1, tzinfo=PLUS1)]
        )
    )
    assert s.tz == "UTC+01:00" and s.span == 60.0


def test_datetime_objects_with_mixed_offsets_become_utc() -> None:
    t = [
        dt.datetime(2024, 3, 31, 1, 59, tzinfo=PLUS1),
        dt.datetime(2024, 3, 31, 3, 0, tzinfo=PLUS2),
    ]
    s = prepare(objects(t))
    assert s.tz == "UTC" and s.span == 60.0
    assert s.t0 == pd.Timestamp("2024-03-31T00:59:00Z")


def test_naive_and_aware_datetime_objects_name_the_first_odd_row() -> None:
    t = [dt.datetime(2024, 1, 1, 0, 0, s) for s in range(4)]
    t[2] = t[2].replace(tzinfo=PLUS2)
    df = objects(t)
    df.index = ["a", "b", "c", "d"]
    with refused(
        DataError, r"'time' mixes .*row 2 \(index label 'c'\) has a UTC offset, unlike row 0"
    ):
        prepare(df)


def test_naive_and_aware_strings_are_refused_not_read_as_utc() -> None:
    # pandas would read the naive time as UTC when asked for utc=True: a silent shift.
    df = pd.DataFrame(
        {
            "time": [
                "2024-01-01T00:00:00+01:00",
                "2024-01-01T00:00:01+02:00",
                "2024-01-01T00:00:02",
            ],
            "v": [1.0, 2.0, 3.0],
        }
    )
    with refused(DataError, r"row 2 \(index label 2\) has no UTC offset"):
        prepare(df)


# -- files -----------------------------------------------------------------------------


def write(tmp_path: Path, name: str, data: bytes) -> str:
    p = tmp_path / name
    p.write_bytes(data)
    return str(p)


def test_empty_csv_file(tmp_path: Path) -> None:
    with refused(DataError, r"empty\.csv' is empty \(0 bytes\)"):
        prepare(write(tmp_path, "empty.csv", b""))
    with refused(DataError, r"blank\.csv' holds no header"):
        prepare(write(tmp_path, "blank.csv", b"\n\n"))


def test_header_only_csv_has_no_rows(tmp_path: Path) -> None:
    with refused(DataError, r"head\.csv' has no rows \(only a header: \['time', 'v'\]\)"):
        prepare(write(tmp_path, "head.csv", b"time,v\n"))


def test_utf16_csv_with_a_bom_is_read(tmp_path: Path) -> None:
    text = "time,temp \u00b0C\n0.0,1.5\n0.5,2.5\n"
    for enc in ("utf-16", "utf-16-be", "utf-32"):
        bom = {"utf-16-be": b"\xfe\xff"}.get(enc, b"")
        path = write(tmp_path, f"{enc}.csv", bom + text.encode(enc))
        s = prepare(path)
        assert s.channels == ["temp \u00b0C"], enc
        assert s.values[0].tolist() == [1.5, 2.5]


def test_utf16_csv_without_a_bom_names_the_file_and_the_fix(tmp_path: Path) -> None:
    path = write(tmp_path, "wide.csv", "time,v\n0,1\n".encode("utf-16-le"))
    with refused(DataError, r"wide\.csv' holds NUL bytes.*pd\.read_csv\(path, encoding='utf-16'\)"):
        prepare(path)


def test_ragged_csv_names_the_file_and_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, "ragged.csv", b"time,v\n0,1\n1,2\n2,3,4\n")
    with refused(DataError, r"ragged\.csv': line 4 has a different number of fields"):
        prepare(path)


def test_rows_longer_than_the_header_are_not_shifted(tmp_path: Path) -> None:
    # pandas would take the first column as the index and shift every column left.
    path = write(tmp_path, "long.csv", b"time,v\n0,1,9\n1,2,9\n")
    with refused(DataError, r"long\.csv': its rows have a different number of fields"):
        prepare(path)


def test_semicolon_csv_says_how_to_read_it(tmp_path: Path) -> None:
    path = write(tmp_path, "semi.csv", b"time;v\n0;1\n1;2\n")
    with refused(
        DataError, r"semi\.csv' was read as one column 'time;v'.*semicolon-separated.*sep=';'"
    ):
        prepare(path)
    # Decimal commas make the rows ragged instead; the advice is the same.
    path = write(tmp_path, "semi_comma.csv", b"time;v\n0,5;1,25\n1,5;2,5\n")
    with refused(DataError, r"semi_comma\.csv'.*semicolon-separated.*decimal=','"):
        prepare(path)


def test_tab_separated_csv_says_how_to_read_it(tmp_path: Path) -> None:
    path = write(tmp_path, "tabs.csv", b"time\tv\n0\t1\n")
    with refused(DataError, r"tabs\.csv'.*tab-separated.*sep='\\t'"):
        prepare(path)


def test_csv_that_is_not_utf8(tmp_path: Path) -> None:
    path = write(tmp_path, "latin.csv", "time,temp \u00b0C\n0,1\n".encode("latin-1"))
    with refused(DataError, r"latin\.csv' is not UTF-8 text \(byte b'\\xb0'.*encoding='cp1252'"):
        prepare(path)


def test_gzipped_csv_is_read_and_a_broken_one_named(tmp_path: Path) -> None:
    path = write(tmp_path, "d.csv.gz", gzip.compress(b"time,v\n0,1\n1,2\n"))
    assert prepare(path).values[0].tolist() == [1, 2]
    with refused(DataError, r"bad\.csv\.gz' could not be read"):
        prepare(write(tmp_path, "bad.csv.gz", b"not gzip at all"))


def test_folder_and_missing_file(tmp_path: Path) -> None:
    (tmp_path / "dir.csv").mkdir()
    with refused(DataError, r"dir\.csv' is a folder"):
        prepare(str(tmp_path / "dir.csv"))
    with refused(TsvFileNotFoundError, r"nope\.csv' does not exist"):
        prepare(str(tmp_path / "nope.csv"))


def test_broken_parquet_names_the_file(tmp_path: Path) -> None:
    pytest.importorskip("pyarrow")
    with refused(DataError, r"x\.parquet' is empty \(0 bytes\)"):
        prepare(write(tmp_path, "x.parquet", b""))
    with refused(DataError, r"y\.parquet' could not be read as Parquet"):
        prepare(write(tmp_path, "y.parquet", b"PAR1 this is not parquet"))


# -- URLs ------------------------------------------------------------------------------


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def http_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, str]]:
    """A folder served over http on 127.0.0.1 (a free port) for the test's duration."""
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setattr(readers, "URL_TIMEOUT_S", 10.0)
    handler = functools.partial(_QuietHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield tmp_path, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
    assert not thread.is_alive()


def test_unreachable_url_names_the_url_and_the_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.setattr(readers, "URL_TIMEOUT_S", 10.0)
    url = "http://127.0.0.1:9/x.csv"
    with refused(
        DataError,
        r"'http://127\.0\.0\.1:9/x\.csv' could not be reached .*refused"
        r".*download the file and pass its path",
    ):
        prepare(url)


def test_url_secrets_stay_out_of_the_message(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    with refused(DataError, r"'http://\*\*\*@127\.0\.0\.1:9/x\.csv\?token=\*\*\*&n=1'") as info:
        prepare("http://me:hunter2@127.0.0.1:9/x.csv?token=s3cr3t&n=1")
    assert "hunter2" not in str(info.value) and "s3cr3t" not in str(info.value)


def test_url_answering_404_names_the_status(http_root: tuple[Path, str]) -> None:
    _root, base = http_root
    with refused(DataError, rf"'{base}/gone\.csv' answered HTTP 404 .*download the file"):
        prepare(f"{base}/gone.csv")


def test_url_that_answers_is_read_and_checked_like_a_file(http_root: tuple[Path, str]) -> None:
    root, base = http_root
    (root / "d.csv").write_bytes(b"time,v\n0,1\n1,2\n")
    assert prepare(f"{base}/d.csv?x=1").values[0].tolist() == [1, 2]
    (root / "z.csv.gz").write_bytes(gzip.compress(b"time,v\n0,1\n1,3\n"))
    assert prepare(f"{base}/z.csv.gz").values[0].tolist() == [1, 3]
    (root / "semi.csv").write_bytes(b"time;v\n0;1\n")
    with refused(DataError, rf"'{base}/semi\.csv' was read as one column.*sep=';'"):
        prepare(f"{base}/semi.csv")
    (root / "empty.csv").write_bytes(b"")
    with refused(DataError, rf"'{base}/empty\.csv' answered with an empty file"):
        prepare(f"{base}/empty.csv")


# -- media -----------------------------------------------------------------------------


def test_a_string_is_a_url_path_only_under_files() -> None:
    src = resolve("/files/videos/s.mp4")
    assert src is not None and src.source == "url"
    with refused(TsvFileNotFoundError, r"'/videos/s\.mp4' does not exist.*starts with /files/"):
        resolve("/videos/s.mp4")
    with refused(TsvFileNotFoundError, r"'files/s\.mp4' does not exist"):
        resolve("files/s.mp4")


def test_empty_media_file(tmp_path: Path) -> None:
    p = tmp_path / "take1.mp4"
    p.write_bytes(b"")
    with refused(MediaError, r"take1\.mp4' is empty \(0 bytes\)"):
        resolve(p)
    with refused(MediaError, r"take1\.mp4' is empty \(0 bytes\)"):
        resolve(str(p))


def test_media_folder_is_not_a_file(tmp_path: Path) -> None:
    with refused(MediaError, r"is not a file; pass a video or audio file"):
        resolve(tmp_path)


@pytest.mark.parametrize(
    ("url", "shown", "secret"),
    [
        ("https://user:pw9x7@host.example/v.mp4", "https://***@host.example/v.mp4", "pw9x7"),
        ("https://tok3n@host.example/v.mp4", "https://***@host.example/v.mp4", "tok3n"),
        ("https://h.example/v.mp4?token=Zq81", "https://h.example/v.mp4?token=***", "Zq81"),
        ("https://h.example/v.mp4?t=1&Access_Token=Zq82", "?t=1&Access_Token=***", "Zq82"),
        ("https://h.example/v.mp4?sig=Zq83&se=2030", "?sig=***&se=2030", "Zq83"),
        ("https://h.example/v.mp4?KEY=Zq84", "?KEY=***", "Zq84"),
        ("https://h.example/v.mp4?api_key=Zq85", "?api_key=***", "Zq85"),
        ("https://h.example/v.mp4?password=Zq86", "?password=***", "Zq86"),
        ("https://h.example/v.mp4?secret=Zq87", "?secret=***", "Zq87"),
        ("https://h.example/v.mp4?auth=Zq88", "?auth=***", "Zq88"),
        ("https://h.example/v.mp4?signature=Zq89", "?signature=***", "Zq89"),
        (
            "https://b.s3.amazonaws.com/v.mp4?X-Amz-Credential=AKIAZq90&X-Amz-Signature=Zq91",
            "?X-Amz-Credential=***&X-Amz-Signature=***",
            "Zq9",
        ),
        ("https://storage.googleapis.com/b/v.mp4?X-Goog-Signature=Zq92", "Signature=***", "Zq92"),
        ("https://h.example/v.mp4#access_token=Zq93", "#access_token=***", "Zq93"),
        ("/files/v.mp4?token=Zq94", "/files/v.mp4?token=***", "Zq94"),
    ],
)
def test_media_url_with_a_secret_is_refused_and_masked(url: str, shown: str, secret: str) -> None:
    with refused(
        MediaError, r"widget state.*download the file and pass its path, or pass its bytes"
    ) as info:
        resolve(url)
    msg = str(info.value)
    assert shown in msg
    assert secret not in msg
    assert secret not in mask_url(url)


def test_media_url_without_secrets_is_kept_whole() -> None:
    url = "https://h.example/v.mp4?t=10&v=2&keyframe=1"
    src = resolve(url)
    assert src is not None and src.url == url and mask_url(url) == url


def test_disallowed_scheme_message_masks_secrets() -> None:
    with refused(
        MediaError, r"scheme 'ftp' is not allowed in 'ftp://\*\*\*@h\.example/v\.mp4'"
    ) as info:
        resolve("ftp://me:Zq95@h.example/v.mp4")
    assert "Zq95" not in str(info.value)
