"""Labels files and Label Studio results: exact round trips, conversions, refusals, atomic writes.

These tests call :mod:`tsvideo_widget.labelfiles` directly with a prepared
:class:`~tsvideo_widget.data.Series`, without a widget.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import random
import signal
import stat
import subprocess
import sys
import time
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tsvideo_widget import labelcsv
from tsvideo_widget import labelfiles as lf
from tsvideo_widget.data import TIME_UNITS, Series, prepare
from tsvideo_widget.errors import LabelFileError, TsvFileNotFoundError
from tsvideo_widget.timemap import TimeMap

N = 101

# -- series of every time kind -----------------------------------------------------------


def float_times() -> np.ndarray:
    return 5.0 + np.arange(N) * 0.013  # seconds, not round in binary


def int_times() -> np.ndarray:
    return 1_700_000_000_000_000_000 + np.arange(N, dtype=np.int64) * 1001  # epoch ns


def dt_times(tz: str | None) -> pd.DatetimeIndex:
    return pd.date_range("2024-05-01 12:00:00.000000001", periods=N, freq="1001ns", tz=tz)


def series_of(kind: str) -> Series:
    """A series of ``kind``: "float", "int", "naive" or "aware"."""
    if kind == "float":
        t: Any = float_times()
        unit = "s"
    elif kind == "int":
        t, unit = int_times(), "ns"
    else:
        t, unit = dt_times(None if kind == "naive" else "Europe/Berlin"), "s"
    return prepare(pd.DataFrame({"time": t, "x": np.zeros(N)}), time="time", time_unit=unit)


def numeric_series(unit: str, integer: bool = False, n: int = 11) -> Series:
    t = np.arange(n, dtype=np.int64) * 1000 if integer else np.arange(n) * 1000.0
    return prepare(pd.DataFrame({"time": t, "x": np.zeros(n)}), time="time", time_unit=unit)


KINDS = ["float", "int", "naive", "aware"]


def bounds(kind: str) -> tuple[Any, Any]:
    if kind == "float":
        return float(float_times()[0]), float(float_times()[-1])
    if kind == "int":
        return int(int_times()[0]), int(int_times()[-1])
    t = dt_times(None if kind == "naive" else "Europe/Berlin")
    return t[0], t[-1]


def time_st(kind: str) -> st.SearchStrategy[Any]:
    first, last = bounds(kind)
    if kind == "float":
        return st.floats(first, last)
    if kind == "int":
        return st.integers(first, last)
    return st.integers(0, (last - first).value).map(lambda ns: first + pd.Timedelta(ns, "ns"))


# -- strict equality: types, -0.0, zones ----------------------------------------------------


def same(a: Any, b: Any) -> bool:
    """Equal with the same types all the way down (1 is not 1.0 nor True; -0.0 is not 0.0)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return repr(a) == repr(b)
    if isinstance(a, pd.Timestamp):
        return a == b and str(a.tz) == str(b.tz)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return bool(a == b)


def test_same_tells_types_apart() -> None:
    assert same({"a": [1, -0.0]}, {"a": [1, -0.0]})
    assert not same(1, 1.0) and not same(1, True) and not same(0.0, -0.0)
    assert not same([1], [1, 2]) and not same({"a": 1}, {"b": 1})
    t = pd.Timestamp("2024-01-01", tz="UTC")
    assert not same(t, t.tz_convert("Europe/Berlin"))


# -- random regions -------------------------------------------------------------------------

AWKWARD = [
    "007",
    "True",
    "",
    "NA",
    "None",
    "nan",
    "null",
    "-0",
    "1.0",
    "[1]",
    "a\rb",
    "a\nb",
    "a\r\nb",
    "a,b",
    '"q"',
    ' "q" ',
    " lead",
    "trail ",
    "x\x00y",
    "日本語",
    "id",
    "label",
    "start",
    "time_kind",
    "x:json",
    "meta:x",
    "meta:",
    ":json",
]

text_st = st.one_of(st.sampled_from(AWKWARD), st.text(max_size=6))
leaf_st = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.sampled_from([2**53 + 1, 2**70, -(2**70), 0]),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([-0.0, 0.1, 1e300, 5e-324]),
    text_st,
)
meta_value_st = st.recursive(
    leaf_st,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(text_st, inner, max_size=3)
    ),
    max_leaves=8,
)
meta_st = st.dictionaries(text_st, meta_value_st, max_size=4)


@st.composite
def regions_st(draw: st.DrawFn, kind: str) -> list[dict[str, Any]]:
    out = []
    for i in range(draw(st.integers(0, 4))):
        a, b = sorted((draw(time_st(kind)), draw(time_st(kind))))
        if draw(st.booleans()):
            b = a  # a point event
        out.append(
            {
                "id": draw(text_st) + f"#{i}",
                "start": a,
                "end": b,
                "label": draw(text_st.filter(bool)),
                "channel": draw(st.one_of(st.none(), text_st)),
                "meta": draw(meta_st),
            }
        )
    return out


def assert_same_regions(got: list[dict[str, Any]], want: list[dict[str, Any]]) -> None:
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        assert same(g, w), (g, w)


SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("fmt", ["csv", "json"])
@SETTINGS
@given(data=st.data())
def test_files_round_trip_exactly(kind: str, fmt: str, data: st.DataObject) -> None:
    series = series_of(kind)
    regions = data.draw(regions_st(kind))
    text = lf.dumps(regions, series, fmt)
    assert_same_regions(lf.parse_text(text, fmt, series, f"r.{fmt}"), regions)
    # Other programs can open it: Python's csv module reads the same records, pandas as many.
    if fmt == "csv":
        records = list(csv.reader(io.StringIO(text, newline="")))
        assert records == labelcsv._csv_rows(text) and len(records) == len(regions) + 1
        assert pd.read_csv(io.StringIO(text)).shape == (len(regions), len(records[0]))
    else:
        assert len(json.loads(text)["regions"]) == len(regions)


def through_javascript(v: Any) -> Any:
    """``v`` as it comes back from a JavaScript program: every number is a double."""
    if isinstance(v, dict):
        return {k: through_javascript(x) for k, x in v.items()}
    if isinstance(v, list):
        return [through_javascript(x) for x in v]
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        f = float(v)
        # JSON.stringify writes integral doubles without a fraction, and -0 as 0.
        return int(f) if f.is_integer() and abs(f) < 1e21 else f
    return v


@pytest.mark.parametrize(
    ("kind", "time_format"),
    [
        ("float", None),
        ("int", None),
        ("naive", None),
        ("aware", None),
        ("naive", "%Y-%m-%d %H:%M:%S.%f"),
        ("aware", "%Y-%m-%d %H:%M:%S.%f"),
    ],
)
@SETTINGS
@given(data=st.data())
def test_label_studio_round_trips_exactly(
    kind: str, time_format: str | None, data: st.DataObject
) -> None:
    series = series_of(kind)
    regions = data.draw(regions_st(kind))
    results = lf.to_label_studio(regions, series, time_format=time_format)
    for r, res in zip(regions, results, strict=True):
        v = res["value"]
        assert v["timeserieslabels"] == [r["label"]] and v["instant"] == (r["start"] == r["end"])
        if kind in ("float", "int"):
            assert same(v["start"], r["start"])  # numbers in the column's unit, as they are
        elif time_format is None:
            assert v["start"] == r["start"].value / 1_000_000  # epoch milliseconds
        else:
            assert v["start"] == r["start"].strftime(time_format)
    stored = json.loads(json.dumps(results))
    assert_same_regions(lf.from_label_studio(stored, series, time_format), regions)
    # Label Studio's front end is JavaScript: large numbers round, -0 becomes 0.
    js = through_javascript(stored)
    assert_same_regions(lf.from_label_studio(js, series, time_format), regions)


def test_label_studio_fields_stay_plain_when_exact() -> None:
    series = series_of("float")
    r = {"id": "a", "start": 5.013, "end": 5.026, "label": "Run", "channel": "x", "meta": {}}
    (res,) = lf.to_label_studio([r], series, from_name="lbl", to_name="ts")
    assert res == {
        "id": "a",
        "from_name": "lbl",
        "to_name": "ts",
        "type": "timeserieslabels",
        "value": {"start": 5.013, "end": 5.026, "instant": False, "timeserieslabels": ["Run"]},
        "meta": {"channel": "x"},
    }


# -- what the files look like ----------------------------------------------------------------


def test_json_file_records_the_time_kind() -> None:
    series = series_of("aware")
    t0 = bounds("aware")[0]
    doc = json.loads(
        lf.dumps(
            [{"id": "a", "start": t0, "end": t0, "label": "L", "channel": None, "meta": {}}],
            series,
            "json",
        )
    )
    assert doc["format"] == "tsvideo-widget/regions" and doc["version"] == 2
    assert doc["time"] == {
        "kind": "datetime",
        "unit": None,
        "integer": False,
        "tz": "Europe/Berlin",
        "column": "time",
    }
    assert doc["regions"][0]["start"] == "2024-05-01T12:00:00.000000001+02:00"
    int_doc = json.loads(lf.dumps([], series_of("int"), "json"))
    assert int_doc["time"]["integer"] is True and int_doc["time"]["unit"] == "ns"


def test_csv_file_records_the_time_kind_and_encodes_meta() -> None:
    series = series_of("float")
    regions = [
        {"id": "a", "start": 5.1, "end": 5.2, "label": "Run", "channel": None, "meta": {"n": 1}},
        {"id": "b", "start": 5.3, "end": 5.3, "label": "A,B", "channel": "x", "meta": {}},
    ]
    regions[0]["meta"].update({"note": "hi", "id": "clash", "x:json": "s"})
    text = lf.dumps(regions, series, "csv")
    lines = text.split("\n")
    assert lines[0] == (
        "id,label,channel,start,end,time_kind,time_unit,time_zone,n:json,note,meta:id,x:json:json"
    )
    assert lines[1] == 'a,Run,,5.1,5.2,numeric,s,,1,hi,clash,"""s"""'
    assert lines[2] == 'b,"A,B",x,5.3,5.3,numeric,s,,,,,'
    assert lines[3] == "" and len(lines) == 4


def test_export_adds_media_times_and_autosave_text_does_not() -> None:
    series = series_of("float")
    regions = [{"id": "a", "start": 5.013, "end": 5.026, "label": "L", "channel": None, "meta": {}}]
    tm = TimeMap(span=series.span, duration=2 * series.span)
    csv_text = lf.dumps(regions, series, "csv", tm)
    df = pd.read_csv(io.StringIO(csv_text))
    assert df.loc[0, "media_start"] == pytest.approx(0.026)
    assert df.loc[0, "duration"] == pytest.approx(0.013)
    doc = json.loads(lf.dumps(regions, series, "json", tm))
    assert doc["regions"][0]["media_end"] == pytest.approx(0.052)
    for fmt in ("csv", "json"):
        assert "media_start" not in lf.dumps(regions, series, fmt)
        assert_same_regions(
            lf.parse_text(lf.dumps(regions, series, fmt, tm), fmt, series, "x"), regions
        )


def test_export_writes_the_file(tmp_path: Path) -> None:
    series = series_of("naive")
    t0 = bounds("naive")[0]
    regions = [{"id": "a", "start": t0, "end": t0, "label": "L", "channel": None, "meta": {}}]
    path = lf.export(tmp_path / "l.csv", regions, series, TimeMap(span=series.span))
    assert path == tmp_path / "l.csv"
    assert_same_regions(lf.parse(path, series), regions)
    with pytest.raises(LabelFileError, match=r"\.csv or \.json"):
        lf.export(tmp_path / "l.xlsx", regions, series)


def test_carriage_return_in_a_label_reopens(tmp_path: Path) -> None:
    series = series_of("float")
    regions = [
        {"id": "a\r", "start": 5.1, "end": 5.2, "label": "x\ry", "channel": "\r", "meta": {}},
        {
            "id": "b",
            "start": 5.1,
            "end": 5.2,
            "label": "\r\n",
            "channel": None,
            "meta": {"k": "\r"},
        },
    ]
    path = tmp_path / "l.csv"
    lf.write_atomic(path, lf.dumps(regions, series, "csv"))
    assert_same_regions(lf.parse(path, series), regions)
    assert pd.read_csv(path, keep_default_na=False)["label"].tolist() == ["x\ry", "\r\n"]


def test_version_1_files_are_still_read() -> None:
    series = series_of("float")
    v1 = {
        "format": "tsvideo-widget/regions",
        "version": 1,
        "time": {"kind": "numeric", "unit": "s", "tz": None, "column": "time"},
        "regions": [
            {"id": "a", "label": "Run", "channel": None, "start": 5.1, "end": 5.2, "meta": {}}
        ],
    }
    (r,) = lf.parse_text(json.dumps(v1), "json", series, "v1.json")
    assert same(r["start"], 5.1) and r["label"] == "Run"
    old_csv = (
        "id,label,channel,start,end,duration,media_start,media_end,speed,who\n"
        "a,NA,ax,5.1,5.2,0.1,0.1,0.2,1.5,\n"
    )
    (r,) = lf.parse_text(old_csv, "csv", series, "v1.csv")
    assert r == {
        "id": "a",
        "start": 5.1,
        "end": 5.2,
        "label": "NA",
        "channel": "ax",
        "meta": {"speed": 1.5},
    }
    aware = series_of("aware")
    old_dt = (
        "id,label,channel,start,end\n"
        "a,L,,2024-05-01T12:00:00.000000001+02:00,2024-05-01 12:00:00.000001\n"
    )
    (r,) = lf.parse_text(old_dt, "csv", aware, "v1.csv")
    t0 = bounds("aware")[0]
    assert same(r["start"], t0)  # the zone taken from the data, as version 1 was read
    assert same(r["end"], pd.Timestamp("2024-05-01 12:00:00.000001", tz="Europe/Berlin"))


# -- conversions ------------------------------------------------------------------------------


def region(start: Any, end: Any, rid: str = "a") -> dict[str, Any]:
    return {"id": rid, "start": start, "end": end, "label": "L", "channel": None, "meta": {}}


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_units_are_converted_exactly(fmt: str) -> None:
    ms = numeric_series("ms")
    text = lf.dumps([region(1500.0, 2500.5)], ms, fmt)
    (r,) = lf.parse_text(text, fmt, numeric_series("s"), "ms-file")
    assert same(r["start"], 1.5) and same(r["end"], 2.5005)
    # An integer column takes whole results only, and gets ints.
    (r,) = lf.parse_text(
        lf.dumps([region(1.5, 2.0)], numeric_series("s"), fmt),
        fmt,
        numeric_series("ms", True),
        "s-file",
    )
    assert same(r["start"], 1500) and same(r["end"], 2000)
    # 0.001 s is not exactly 1/1000 in binary, but it is 1 ms to the float's precision.
    (r,) = lf.parse_text(
        lf.dumps([region(0.001, 7.0)], numeric_series("s"), fmt),
        fmt,
        numeric_series("ms", True),
        "f",
    )
    assert same(r["start"], 1) and same(r["end"], 7000)
    with pytest.raises(LabelFileError, match=r"s-file.*'frac'.*1000\.5 ms.*not a whole number"):
        lf.parse_text(
            lf.dumps([region(1.0005, 2.0, "frac")], numeric_series("s"), fmt),
            fmt,
            numeric_series("ms", True),
            "s-file",
        )
    # Integers of an integer column: exact, whatever their size.
    ns = series_of("int")
    t = int(int_times()[1])
    (r,) = lf.parse_text(lf.dumps([region(t, t)], ns, fmt), fmt, numeric_series("s"), "ns")
    assert same(r["start"], 1_700_000_000.000001)
    (r,) = lf.parse_text(
        lf.dumps([region(2_000_000, 3_000_000)], numeric_series("ns", True), fmt),
        fmt,
        numeric_series("ms", True),
        "ns-file",
    )
    assert same(r["start"], 2) and same(r["end"], 3)
    with pytest.raises(LabelFileError, match=r"ns-file.*not a whole number"):
        lf.parse_text(
            lf.dumps([region(1_500_000, 3_000_000)], numeric_series("ns", True), fmt),
            fmt,
            numeric_series("ms", True),
            "ns-file",
        )


def test_exact_unit_table_matches_the_float_one() -> None:
    from tsvideo_widget.series import EXACT_UNITS

    assert {k: float(v) for k, v in EXACT_UNITS.items()} == TIME_UNITS


@pytest.mark.parametrize("fmt", ["csv", "json"])
@pytest.mark.parametrize(
    ("writer", "reader", "match"),
    [
        ("float", "aware", "numeric times.*datetimes"),
        ("aware", "float", "datetimes.*numeric times"),
        ("naive", "aware", r"datetimes \(naive\).*zone 'Europe/Berlin'"),
        ("aware", "naive", r"zone 'Europe/Berlin'.*datetimes \(naive\)"),
    ],
)
def test_time_kind_mismatch_is_refused(fmt: str, writer: str, reader: str, match: str) -> None:
    first = bounds(writer)[0]
    text = lf.dumps([region(first, first)], series_of(writer), fmt)
    with pytest.raises(LabelFileError, match=f"'theirs.{fmt}'.*{match}.*left as is"):
        lf.parse_text(text, fmt, series_of(reader), f"theirs.{fmt}")


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_time_zones_are_converted_to_the_same_instant(fmt: str) -> None:
    berlin = series_of("aware")
    t0 = bounds("aware")[0]
    utc = prepare(
        pd.DataFrame({"time": dt_times("UTC"), "x": np.zeros(N)}), time="time", time_unit="s"
    )
    (r,) = lf.parse_text(lf.dumps([region(t0, t0)], berlin, fmt), fmt, utc, "f")
    assert r["start"] == t0 and str(r["start"].tz) == "UTC"
    assert r["start"].value == t0.value


# -- refusals at write time ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ({1, 2}, "set"),
        (pd.Timestamp("2024-01-01"), "Timestamp"),
        (np.array([1.0]), "ndarray"),
        (Decimal("1.5"), "Decimal"),
        (b"raw", "bytes"),
        (math.nan, "NaN"),
        (math.inf, "infinity"),
        ({"in": [1, {2: "x"}]}, "key 2 is not a string"),
        ((1, 2), "read back as a list"),
        pytest.param(10**5000, "digits", id="huge-int"),
    ],
)
@pytest.mark.parametrize("where", ["csv", "json", "label-studio"])
def test_what_json_cannot_hold_is_refused_naming_region_and_key(
    value: Any, why: str, where: str
) -> None:
    series = series_of("float")
    regions = [{**region(5.1, 5.2, "r7"), "meta": {"fine": 1, "bad key": value}}]
    with pytest.raises(LabelFileError, match=f"region 'r7': meta key 'bad key'.*{why}"):
        if where == "label-studio":
            lf.to_label_studio(regions, series)
        else:
            lf.dumps(regions, series, where)


def test_numpy_scalars_are_written_as_the_numbers_they_equal() -> None:
    series = series_of("float")
    meta = {"i": np.int64(3), "f": np.float32(0.5), "b": np.bool_(True)}
    text = lf.dumps([{**region(5.1, 5.2), "meta": meta}], series, "json")
    (r,) = lf.parse_text(text, "json", series, "f")
    assert same(r["meta"], {"i": 3, "f": 0.5, "b": True})


def test_lone_surrogates_survive_json_and_csv_cells_but_not_csv_keys() -> None:
    series = series_of("float")
    regions = [{**region(5.1, 5.2), "label": "a\ud800", "meta": {"k": "\udfff"}}]
    for fmt in ("csv", "json"):
        text = lf.dumps(regions, series, fmt)
        text.encode("utf-8")  # writable
        assert_same_regions(lf.parse_text(text, fmt, series, "f"), regions)
    with pytest.raises(LabelFileError, match=r"region 'a': meta key '\\udfff'.*CSV"):
        lf.dumps([{**region(5.1, 5.2), "meta": {"\udfff": 1}}], series, "csv")


def test_regions_of_the_wrong_shape_are_refused() -> None:
    series = series_of("float")
    with pytest.raises(LabelFileError, match=r"region #0 \(id 5\): id 5 is not a string"):
        lf.dumps([{**region(5.1, 5.2), "id": 5}], series, "json")
    with pytest.raises(LabelFileError, match="region 'a': start 'x' is not a number"):
        lf.dumps([region("x", 5.2)], series, "csv")
    with pytest.raises(LabelFileError, match=r"region 'a': end 5\.5 is not a whole number"):
        lf.dumps([region(5, 5.5)], series_of("int"), "csv")
    with pytest.raises(LabelFileError, match=r"region 'a': start .* is naive, but .* zone"):
        lf.dumps([region(pd.Timestamp(0), pd.Timestamp(0))], series_of("aware"), "json")
    with pytest.raises(LabelFileError, match="unknown labels file kind 'xml'"):
        lf.dumps([], series, "xml")


# -- malformed files ----------------------------------------------------------------------

V2_JSON_HEAD = '{"format": "tsvideo-widget/regions", "version": 2, '
NUMERIC_TIME = '"time": {"kind": "numeric", "unit": "s"}, '
CSV_HEAD = "id,label,channel,start,end,time_kind,time_unit,time_zone,n:json\n"


@pytest.mark.parametrize(
    ("fmt", "text", "match"),
    [
        ("json", "{not json", "not valid JSON"),
        ("json", "", "is empty"),
        ("json", " \n", "is empty"),
        ("json", "[1, 2]", "not a tsvideo-widget labels file"),
        ("json", '{"format": "other"}', "not a tsvideo-widget labels file"),
        ("json", V2_JSON_HEAD[:-2] + "}", 'has no "time"'),
        ("json", '{"format": "tsvideo-widget/regions", "version": 3}', "version 3"),
        ("json", V2_JSON_HEAD + '"time": {"kind": "numeric", "unit": "parsec"}}', "'parsec'"),
        ("json", V2_JSON_HEAD + NUMERIC_TIME + '"regions": 5}', 'no "regions" list'),
        ("json", V2_JSON_HEAD + NUMERIC_TIME + '"regions": [5]}', "region #0 is not an object"),
        (
            "json",
            V2_JSON_HEAD + NUMERIC_TIME + '"regions": [{"id": "q", "label": "L", "end": 1}]}',
            r"region #0 \(id 'q'\): no start",
        ),
        (
            "json",
            V2_JSON_HEAD + NUMERIC_TIME + '"regions": [{"id": "q", "label": "L", "start": "x", '
            '"end": 1}]}',
            r"region #0 \(id 'q'\): start 'x' cannot be read",
        ),
        (
            "json",
            V2_JSON_HEAD + NUMERIC_TIME + '"regions": [{"id": "q", "start": 1, "end": 1}]}',
            r"region #0 \(id 'q'\): no label",
        ),
        (
            "json",
            V2_JSON_HEAD + NUMERIC_TIME + '"regions": [{"id": "q", "label": "L", "start": NaN, '
            '"end": 1}]}',
            "not valid JSON.*NaN",
        ),
        (
            "json",
            V2_JSON_HEAD + NUMERIC_TIME + '"regions": [{"id": "q", "label": "L", "start": 1, '
            '"end": 2, "meta": [1]}]}',
            r"region #0 \(id 'q'\): meta \[1\] is not an object",
        ),
        ("csv", "", "is empty"),
        ("csv", "name,age\nx,1\n", "no 'id', 'label', 'start', 'end'"),
        ("csv", "id,label,start,time_kind\n", "no 'end'"),
        ("csv", CSV_HEAD + "q,L,,abc,2,numeric,s,,\n", r"row 1 \(region 'q'\): start 'abc'"),
        ("csv", CSV_HEAD + "q,L,,1,inf,numeric,s,,\n", r"row 1 \(region 'q'\): end 'inf'"),
        ("csv", CSV_HEAD + "q,,,1,2,numeric,s,,\n", r"row 1 \(region 'q'\): no label"),
        ("csv", CSV_HEAD + "q,L,,1,2\n", "row 1 has 5 cells; the header has 9"),
        ("csv", CSV_HEAD + "q,L,,1,2,numeric,s,,{bad\n", r"row 1 \(region 'q'\): column 'n:json'"),
        ("csv", CSV_HEAD + "q,L,,1,2,clock,s,,\n", r"row 1 \(region 'q'\): time_kind 'clock'"),
        ("csv", CSV_HEAD + "q,L,,1,2,numeric,,,\n", r"row 1 \(region 'q'\): time_unit \(empty\)"),
        ("csv", CSV_HEAD + 'q,"L"x,,1,2,numeric,s,,\n', "not a readable CSV.*stray quote"),
        ("csv", CSV_HEAD + 'q,"L,,1,2,numeric,s,,\n', "not a readable CSV"),
        ("csv", "id,id,label,start,end,time_kind\n", r"column\(s\) \['id'\] twice"),
        ("csv", "id,label,start,end,time_kind,x,meta:x\n", "two columns for the meta key 'x'"),
    ],
)
def test_broken_files_are_refused_naming_the_culprit(fmt: str, text: str, match: str) -> None:
    with pytest.raises(LabelFileError, match=f"'broken.{fmt}'.*{match}.*it was left as is"):
        lf.parse_text(text, fmt, series_of("float"), f"broken.{fmt}")


def test_an_empty_file_of_another_time_kind_holds_nothing_to_convert() -> None:
    for fmt in ("csv", "json"):
        assert (
            lf.parse_text(lf.dumps([], series_of("float"), fmt), fmt, series_of("aware"), "f") == []
        )


def test_an_unknown_zone_in_the_file_names_the_region() -> None:
    doc = {
        "format": "tsvideo-widget/regions",
        "version": 2,
        "time": {"kind": "datetime", "tz": "Mars/Olympus"},
        "regions": [{"id": "m", "label": "L", "start": "2024-05-01T12:00:00", "end": 1}],
    }
    with pytest.raises(LabelFileError, match=r"region #0 \(id 'm'\): start .*Mars/Olympus"):
        lf.parse_text(json.dumps(doc), "json", series_of("aware"), "mars.json")


def test_datetime_text_must_be_iso_8601() -> None:
    text = lf.dumps([region(bounds("naive")[0], bounds("naive")[0])], series_of("naive"), "json")
    text = text.replace('"2024-05-01T12:00:00.000000001"', '"now"', 1)
    with pytest.raises(LabelFileError, match=r"region #0 \(id 'a'\): start 'now'.*ISO 8601"):
        lf.parse_text(text, "json", series_of("naive"), "f.json")


def test_parse_reads_the_file_and_names_it(tmp_path: Path) -> None:
    series = series_of("float")
    bad = tmp_path / "latin1.csv"
    bad.write_bytes("id,label\nä,x\n".encode("latin-1"))
    with pytest.raises(LabelFileError, match=r"latin1\.csv' is not UTF-8"):
        lf.parse(bad, series)
    with pytest.raises(TsvFileNotFoundError, match=r"missing\.json' does not exist"):
        lf.parse(tmp_path / "missing.json", series)
    bom = tmp_path / "excel.csv"
    bom.write_text("\ufeff" + lf.dumps([region(5.1, 5.2)], series, "csv"), encoding="utf-8")
    assert_same_regions(lf.parse(bom, series), [region(5.1, 5.2)])


# -- Label Studio: real results, edits, malformed input ---------------------------------------


def test_label_studio_edits_win_over_the_exact_times() -> None:
    series = series_of("aware")
    first = bounds("aware")[0]
    a = first + pd.Timedelta(7, "ns")
    b = first + pd.Timedelta(50_003, "ns")
    (res,) = lf.to_label_studio([region(a, b)], series)
    assert res["meta"]["tsvideo"] == {"start": a.isoformat(), "end": b.isoformat()}
    # Float noise within the visible value's rounding: still the exact time.
    res["value"]["start"] = math.nextafter(res["value"]["start"], math.inf)
    # The end was dragged in Label Studio by 0.02 ms: the visible value wins.
    res["value"]["end"] += 0.02
    (r,) = lf.from_label_studio([res], series)
    assert same(r["start"], a)
    assert r["end"].value == round(Fraction(res["value"]["end"]) * 10**6)
    assert r["end"] != b and str(r["end"].tz) == "Europe/Berlin"


def test_label_studio_integer_edits_win_too() -> None:
    series = series_of("int")
    t = int(int_times()[3]) + 1
    (res,) = lf.to_label_studio([region(t, t + 10)], series)
    assert res["meta"]["tsvideo"] == {"start": str(t), "end": str(t + 10)}
    res["value"]["end"] = t + 5000  # moved by 5 µs
    (r,) = lf.from_label_studio([res], series)
    assert same(r["start"], t) and same(r["end"], t + 5000)


def test_real_label_studio_epoch_ms_round_to_ns_and_snap_to_the_data() -> None:
    series = series_of("aware")
    first, last = bounds("aware")
    v = 1714557600000.000123  # the double is ...000244140625: rounds to ...000244 ns
    items = [
        {"type": "timeserieslabels", "value": {"start": v, "end": v, "timeserieslabels": ["L"]}},
        # The last sample, as Label Studio sends it: a double a few ns off.
        {
            "type": "timeserieslabels",
            "value": {
                "start": first.value / 1e6 - 0.0005,
                "end": last.value / 1e6 + 0.0005,
                "timeserieslabels": ["L"],
            },
        },
        # 2 µs outside the data: left alone, for validation to refuse.
        {
            "type": "timeserieslabels",
            "value": {"start": last.value / 1e6 + 0.002, "end": 1e12, "timeserieslabels": ["L"]},
        },
    ]
    r1, r2, r3 = lf.from_label_studio(items, series)
    assert r1["start"].value == 1714557600000000244 and r1["id"] is None
    assert same(r2["start"], first) and same(r2["end"], last)
    assert r3["start"] > last


def test_label_studio_wall_times_at_a_daylight_saving_change() -> None:
    series = series_of("aware")
    fmt = "%Y-%m-%d %H:%M:%S"  # no zone, no fraction: 02:30 happens twice on 2024-10-27
    first = pd.Timestamp("2024-10-27 02:30:00.5+02:00").tz_convert("Europe/Berlin")
    second = pd.Timestamp("2024-10-27 02:30:00.5+01:00").tz_convert("Europe/Berlin")
    regions = [region(first, second)]
    results = lf.to_label_studio(regions, series, time_format=fmt)
    assert results[0]["value"]["start"] == results[0]["value"]["end"] == "2024-10-27 02:30:00"
    assert_same_regions(lf.from_label_studio(results, series, fmt), regions)
    del results[0]["meta"]  # as drawn in Label Studio: the wall time has no instant
    with pytest.raises(LabelFileError, match=r"\(id 'a'\): start '2024-10-27 02:30:00'"):
        lf.from_label_studio(results, series, fmt)


def test_label_studio_time_format_strings() -> None:
    series = series_of("aware")
    fmt = "%Y-%m-%d %H:%M:%S.%f"
    item = {"type": "timeserieslabels", "value": {"start": "2024-05-01 12:00:00.000050"}}
    item["value"].update({"instant": True, "timeserieslabels": ["L"]})
    (r,) = lf.from_label_studio([item], series, time_format=fmt)
    assert same(r["start"], pd.Timestamp("2024-05-01 12:00:00.00005", tz="Europe/Berlin"))
    assert same(r["end"], r["start"])


def ls(value: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"id": "r1", "type": "timeserieslabels", "value": value, **extra}


OK = {"start": 5.1, "end": 5.2, "timeserieslabels": ["L"]}


@pytest.mark.parametrize(
    ("results", "match"),
    [
        (5, "expected a list of Label Studio results.*got int"),
        ({"data": {}}, "dict with 'result' or 'annotations'.*'data'"),
        ({"result": 5}, "'result' must be a list"),
        ({"annotations": [{"id": 1}]}, "annotation #0 has no 'result' list"),
        ([5], "result #0 is a int, not a dict"),
        ([{"annotations": []}], "result #0 is a task or an annotation"),
        ([ls(5)], r"result #0 \(id 'r1'\): no 'value' dict"),
        ([{"type": "timeserieslabels"}], r"result #0 \(id None\): no 'value'"),
        ([ls({**OK, "start": None})], r"\(id 'r1'\): no start"),
        ([ls({"start": 5.1, "timeserieslabels": ["L"]})], r"\(id 'r1'\): no end"),
        ([ls({**OK, "start": "abc"})], r"\(id 'r1'\): start 'abc' cannot be read.*not a number"),
        ([ls({**OK, "end": True})], r"\(id 'r1'\): end True cannot be read"),
        ([ls(OK), ls({**OK, "timeserieslabels": ["L", "W"]})], "result #1.*one label per region"),
        ([ls({**OK, "timeserieslabels": []})], "one label per region is supported"),
        ([ls({**OK, "instant": True})], r"\(id 'r1'\): instant, but end 5.2 is not start 5.1"),
        ([ls(OK, id=7)], "id 7 is not a string"),
        ([ls(OK, meta=[1])], r"meta \[1\] is not a dict"),
        ([ls(OK, meta={"channel": 3})], "meta.channel 3 is not a string"),
        ([ls(OK, meta={"tsvideo": 5})], "meta.tsvideo 5 is not a dict"),
        ([ls(OK, meta={"tsvideo": {"start": "zzz"}})], "meta.tsvideo.start 'zzz' cannot be read"),
        ([ls(OK, meta={"tsvideo": {"start": 5.1}})], "meta.tsvideo.start 5.1 cannot be read"),
        ([ls(OK, meta={"tsvideo": {"meta": "{x"}})], "meta.tsvideo.meta '{x' is not the JSON"),
        ([ls(OK, meta={"tsvideo": {"meta": "[1]"}})], "meta.tsvideo.meta '\\[1\\]' is not"),
    ],
)
def test_malformed_label_studio_results_name_the_culprit(results: Any, match: str) -> None:
    with pytest.raises(LabelFileError, match=match):
        lf.from_label_studio(results, series_of("float"))


@pytest.mark.parametrize(
    ("value", "match"),
    [
        ("yesterday", "start 'yesterday' cannot be read.*ISO 8601"),
        ([1], r"start \[1\] cannot be read"),
        (math.inf, "start inf cannot be read.*not finite"),
    ],
)
def test_unreadable_label_studio_datetimes_name_the_culprit(value: Any, match: str) -> None:
    item = ls({"start": value, "end": 1714557600000.0, "timeserieslabels": ["L"]})
    with pytest.raises(LabelFileError, match=rf"\(id 'r1'\): {match}"):
        lf.from_label_studio({"annotations": [{"result": [item]}]}, series_of("aware"))
    with pytest.raises(LabelFileError, match="does not match time_format"):
        lf.from_label_studio([ls({**OK, "start": "5 May"})], series_of("naive"), "%Y-%m-%d")
    with pytest.raises(LabelFileError, match=r"start 'NaT' cannot be read.*not a time"):
        lf.from_label_studio([ls({**OK, "start": "NaT"})], series_of("naive"), "%Y-%m-%d")


def test_other_result_types_are_skipped() -> None:
    other = {"type": "choices", "value": {"choices": ["ok"]}}
    assert lf.from_label_studio({"result": [other, ls(OK)]}, series_of("float"))[0]["id"] == "r1"
    assert lf.from_label_studio([other], series_of("float")) == []


# -- files on disk ------------------------------------------------------------------------------


def temps(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_stamp_describes_the_bytes(tmp_path: Path) -> None:
    path = tmp_path / "l.json"
    assert lf.stamp(path) is None
    s1 = lf.write_atomic(path, "abc")
    assert s1 == lf.stamp(path) == lf.read_file(path)[1]
    assert s1.size == 3 and len(s1.sha256) == 64
    assert lf.read_file(path)[0] == "abc"
    s2 = lf.write_atomic(path, "abd")  # same size, other content
    assert s2 != s1 and s2.sha256 != s1.sha256 and s2 == lf.stamp(path)
    os.utime(path, ns=(0, 0))
    assert lf.stamp(path) != s2  # touched: the stamp changes even with the same bytes
    with pytest.raises(TsvFileNotFoundError, match=r"nope\.json"):
        lf.read_file(tmp_path / "nope.json")


def test_write_follows_a_symlink(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    target = tmp_path / "real" / "labels.json"
    target.write_text("old")
    link = tmp_path / "labels.json"
    link.symlink_to(Path("real") / "labels.json")
    lf.write_atomic(link, "new")
    assert link.is_symlink() and os.readlink(link) == str(Path("real") / "labels.json")
    assert target.read_text() == "new"
    assert temps(tmp_path) == [] and temps(tmp_path / "real") == []


def test_write_keeps_the_mode(tmp_path: Path) -> None:
    path = tmp_path / "l.csv"
    path.write_text("old")
    path.chmod(0o640)
    lf.write_atomic(path, "new")
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    path.chmod(0o604)
    lf.write_atomic(path, "newer")
    assert stat.S_IMODE(path.stat().st_mode) == 0o604 and path.read_text() == "newer"


@pytest.mark.parametrize("umask", [0o022, 0o027, 0o077])
def test_a_new_file_honours_the_umask(tmp_path: Path, umask: int) -> None:
    old = os.umask(umask)
    try:
        lf.write_atomic(tmp_path / "l.json", "x")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "l.json").stat().st_mode) == 0o666 & ~umask


def dead_pid() -> int:
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


def test_stale_temps_of_dead_writers_are_removed(tmp_path: Path) -> None:
    path = tmp_path / "labels.json"
    dead = tmp_path / f".labels.json.{dead_pid()}.0a1b2c.tmp"
    live = tmp_path / f".labels.json.{os.getpid()}.0a1b2c.tmp"
    other_file = tmp_path / f".other.json.{dead_pid()}.0a1b2c.tmp"
    not_ours = tmp_path / ".labels.json.x1.tmp"
    for p in (dead, live, other_file, not_ours):
        p.write_text("partial")
    assert lf.clean_stale_temps(path) == [dead]
    assert temps(tmp_path) == sorted(p.name for p in (live, other_file, not_ours))
    # Every write cleans up too.
    dead.write_text("partial")
    lf.write_atomic(path, "x")
    assert not dead.exists() and live.exists() and path.read_text() == "x"
    assert lf.clean_stale_temps(tmp_path / "no-such-folder" / "l.json") == []


def test_a_failed_rename_leaves_the_old_file_and_no_temp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "l.json"
    lf.write_atomic(path, "old")

    def crash(*_a: Any) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        lf.write_atomic(path, "new")
    assert path.read_text() == "old" and temps(tmp_path) == []


def test_writing_into_a_missing_folder_names_it(tmp_path: Path) -> None:
    with pytest.raises(TsvFileNotFoundError, match=r"the folder .*nowhere' does not exist"):
        lf.write_atomic(tmp_path / "nowhere" / "l.json", "x")


def sequence(k: int) -> list[dict[str, Any]]:
    """The regions of the k-th write: k regions, each a little different."""
    return [
        {
            "id": f"r{i}",
            "start": 5.0 + i / 3,
            "end": 5.0 + i / 3 + 0.1,
            "label": "L,\r\n" * (i % 3) + "x",
            "channel": None,
            "meta": {"i": i, "pad": "p" * (i % 17)},
        }
        for i in range(k)
    ]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork to kill a writer cheaply")
def test_kill_9_at_any_moment_leaves_a_whole_file(tmp_path: Path) -> None:
    series = series_of("float")
    rng = random.Random(1234)
    kills = 0
    deadline = time.monotonic() + 15
    while kills < 60 and time.monotonic() < deadline:
        fmt = "json" if kills % 2 else "csv"
        path = tmp_path / f"labels.{fmt}"
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:  # the writer: write k regions for k = 1, 2, ... until killed
            try:
                os.close(r)
                k = 1
                while True:
                    lf.write_atomic(path, lf.dumps(sequence(k), series, fmt))
                    if k == 1:
                        os.write(w, b"1")
                    k += 1
            finally:
                os._exit(1)
        os.close(w)
        assert os.read(r, 1) == b"1"  # at least one whole write happened
        os.close(r)
        time.sleep(rng.uniform(0, 0.02))
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        kills += 1
        got = lf.parse(path, series)
        assert len(got) >= 1
        assert_same_regions(got, sequence(len(got)))
        lf.clean_stale_temps(path)  # the killed writer's temporary file, if any
        assert temps(tmp_path) == []
    assert kills >= 50
