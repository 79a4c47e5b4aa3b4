"""Regions in Python: methods, validation, tables, files, Label Studio, autosave."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tsvideo_widget import TimeSeriesVideo
from tsvideo_widget.errors import AutosaveError
from tsvideo_widget.labelfiles import LabelFileError
from tsvideo_widget.regions import RegionError

LABELS = ["Run", "Walk", "Still"]
# The documented shape of to_dataframe(), spelled out (not imported) so a change shows here.
TABLE_COLUMNS = ["id", "label", "channel", "start", "end", "duration", "media_start", "media_end"]


def numeric(n: int = 1001) -> pd.DataFrame:
    t = np.arange(n) / 100.0  # 0..10 s
    return pd.DataFrame({"time": t, "ax": np.sin(t), "ay": np.cos(t)})


def dated(n: int = 1001) -> pd.DataFrame:
    t = pd.date_range("2024-05-01 12:00:00.000001", periods=n, freq="10ms", tz="Europe/Berlin")
    return pd.DataFrame({"time": t, "ax": np.sin(np.arange(n) / 10)})


def widget(**kw) -> TimeSeriesVideo:
    return TimeSeriesVideo(numeric(), labels=LABELS, **kw)


def test_add_remove_clear() -> None:
    w = widget()
    rid = w.add_region(1.0, 2.5, "Run")
    eid = w.add_region(3.0, 3.0, "Walk", channel="ax", note="heel strike")
    assert [r["id"] for r in w.regions] == [rid, eid]
    r = w.regions[1]
    assert (r["start"], r["end"], r["label"], r["channel"], r["meta"]) == (
        3.0,
        3.0,
        "Walk",
        "ax",
        {"note": "heel strike"},
    )
    w.remove_region(rid)
    assert [r["id"] for r in w.regions] == [eid]
    with pytest.raises(KeyError, match=rid):
        w.remove_region(rid)
    w.clear_regions()
    assert w.regions == []


@pytest.mark.parametrize(
    ("start", "end", "label", "channel", "match"),
    [
        (2.0, 1.0, "Run", None, "before its start"),
        (1.0, 2.0, "Fly", None, "not one of the widget's labels"),
        (-1.0, 2.0, "Run", None, "outside the data"),
        (1.0, 20.0, "Run", None, "outside the data"),
        (1.0, 2.0, "Run", "az", "not a plotted channel"),
        (pd.Timestamp("2024-01-01"), 2.0, "Run", None, "not a number"),
    ],
)
def test_invalid_regions_are_refused(start, end, label, channel, match) -> None:
    w = widget()
    with pytest.raises(RegionError, match=match):
        w.add_region(start, end, label, channel=channel)
    assert w.regions == []


def test_assigning_regions_validates_the_whole_list() -> None:
    w = widget()
    w.regions = [{"start": 1, "end": 2, "label": "Run"}]
    assert w.regions[0]["id"] and w.regions[0]["channel"] is None and w.regions[0]["meta"] == {}
    with pytest.raises(RegionError, match="appears twice"):
        w.regions = [
            {"id": "a", "start": 1, "end": 2, "label": "Run"},
            {"id": "a", "start": 3, "end": 4, "label": "Run"},
        ]
    with pytest.raises(RegionError, match="has no 'label'"):
        w.regions = [{"start": 1, "end": 2}]
    assert len(w.regions) == 1


def test_regions_travel_to_the_browser_as_seconds_since_t0() -> None:
    w = TimeSeriesVideo(dated(), labels=LABELS)
    w.add_region("2024-05-01 12:00:01.000001", "2024-05-01 12:00:02.500001", "Run")
    wire = w.get_state()["regions"]
    assert wire[0]["start"] == pytest.approx(1.0) and wire[0]["end"] == pytest.approx(2.5)
    w.set_state({"regions": [{**wire[0], "start": 2.0, "end": 3.0}]})
    assert w.regions[0]["start"] == pd.Timestamp("2024-05-01 12:00:02.000001", tz="Europe/Berlin")


def test_to_dataframe_columns_mapping_and_order() -> None:
    w = widget()
    w.media_duration = 20.0  # media is twice as long as the 10 s of data
    b = w.add_region(5.0, 6.0, "Walk", speed=1.2)
    a = w.add_region(1.0, 2.0, "Run")
    df = w.to_dataframe()
    assert list(df.columns) == [*TABLE_COLUMNS, "speed"]
    assert list(df["id"]) == [a, b]
    assert df.loc[0, "media_start"] == pytest.approx(2.0)
    assert df.loc[1, "media_end"] == pytest.approx(12.0)
    assert df.loc[1, "duration"] == pytest.approx(1.0)
    assert df.loc[0, "speed"] is pd.NA  # no such key in that region


def test_empty_dataframe_has_the_columns() -> None:
    df = widget().to_dataframe()
    assert list(df.columns) == TABLE_COLUMNS
    assert len(df) == 0


def test_from_dataframe_keeps_extra_columns_in_meta() -> None:
    w = widget()
    w.from_dataframe(
        pd.DataFrame({"start": [1.0], "end": [2.0], "label": ["Run"], "annotator": ["ann"]})
    )
    assert w.regions[0]["meta"] == {"annotator": "ann"}
    with pytest.raises(RegionError, match="no 'label'"):
        w.from_dataframe(pd.DataFrame({"start": [1.0], "end": [2.0]}))


def test_labels_per_sample_overlap_touching_and_events() -> None:
    w = widget()
    w.add_region(1.0, 3.0, "Walk")
    w.add_region(2.0, 2.5, "Run")  # nested: starts later, wins inside
    w.add_region(3.0, 4.0, "Still")  # touches Walk at 3.0: the later region wins there
    w.add_region(5.0, 5.0, "Run")  # point event: labels nothing
    s = w.labels_per_sample()
    assert len(s) == 1001 and s.index.equals(numeric().index)
    at = lambda t: s.iloc[round(t * 100)]  # noqa: E731
    assert at(0.99) is None
    assert at(1.0) == "Walk" and at(1.99) == "Walk"
    assert at(2.0) == "Run" and at(2.5) == "Run"
    assert at(2.51) == "Walk"
    assert at(3.0) == "Still" and at(4.0) == "Still"
    assert at(5.0) is None


def test_labels_per_sample_by_channel() -> None:
    w = widget()
    w.add_region(1.0, 2.0, "Run", channel="ax")
    w.add_region(1.5, 2.0, "Walk", channel="ay")
    assert w.labels_per_sample(channel="ax").iloc[180] == "Run"
    assert w.labels_per_sample().iloc[180] == "Walk"


def test_labels_per_sample_follows_sorted_rows() -> None:
    df = numeric(11).iloc[::-1]  # index 10..0, time descending
    w = TimeSeriesVideo(df, sort=True, labels=LABELS)
    w.add_region(0.0, 0.02, "Run")
    s = w.labels_per_sample()
    assert list(s.index[:3]) == [0, 1, 2] and list(s.iloc[:4]) == ["Run", "Run", "Run", None]


@pytest.mark.parametrize("ext", ["csv", "json"])
@pytest.mark.parametrize("make", [numeric, dated])
def test_export_load_round_trip(tmp_path: Path, ext: str, make) -> None:
    w = TimeSeriesVideo(make(), labels=LABELS)
    t0 = w.series.from_rel(0.0)
    step = 0.01 if w.series.kind == "numeric" else pd.Timedelta(microseconds=10)
    w.add_region(t0 + 3 * step, t0 + 70 * step, "Run", channel="ax")
    w.add_region(t0 + 5 * step, t0 + 5 * step, "Walk", note="x")
    path = w.export(tmp_path / f"labels.{ext}")
    w2 = TimeSeriesVideo(make(), labels=LABELS)
    w2.load(path)
    assert w2.regions == w.regions


def test_load_refuses_foreign_files(tmp_path: Path) -> None:
    w = widget()
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"hello": 1}))
    with pytest.raises(LabelFileError, match="not a tsvideo-widget labels file"):
        w.load(other)
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n")
    with pytest.raises(LabelFileError, match="no 'id', 'label', 'start', 'end'"):
        w.load(bad)
    with pytest.raises(LabelFileError, match=r"\.csv or \.json"):
        w.export(tmp_path / "x.xlsx")


def test_label_studio_round_trip_numeric() -> None:
    w = widget()
    w.add_region(1.0, 2.0, "Run")
    w.add_region(4.0, 4.0, "Still", channel="ay")
    ls = w.to_label_studio(from_name="lbl", to_name="ts")
    assert ls[0] == {
        "id": w.regions[0]["id"],
        "from_name": "lbl",
        "to_name": "ts",
        "type": "timeserieslabels",
        "value": {"start": 1.0, "end": 2.0, "instant": False, "timeserieslabels": ["Run"]},
    }
    assert ls[1]["value"]["instant"] is True
    w2 = widget()
    w2.from_label_studio({"result": [*ls, {"type": "choices", "value": {"choices": ["ok"]}}]})
    assert w2.regions == w.regions


def test_label_studio_datetimes_with_a_time_format() -> None:
    w = TimeSeriesVideo(dated(), labels=LABELS)
    w.add_region("2024-05-01 12:00:01.000001", "2024-05-01 12:00:02.000001", "Walk")
    fmt = "%Y-%m-%d %H:%M:%S.%f"
    ls = w.to_label_studio(time_format=fmt)
    assert ls[0]["value"]["start"] == "2024-05-01 12:00:01.000001"
    w2 = TimeSeriesVideo(dated(), labels=LABELS)
    w2.from_label_studio(ls, time_format=fmt)
    assert w2.regions == w.regions


def test_label_studio_several_labels_is_an_error() -> None:
    with pytest.raises(LabelFileError, match="one label per region"):
        widget().from_label_studio(
            [
                {
                    "type": "timeserieslabels",
                    "value": {"start": 1, "end": 2, "timeserieslabels": ["Run", "Walk"]},
                }
            ]
        )


# -- autosave --------------------------------------------------------------------------


def test_autosave_writes_every_change_and_reloads(tmp_path: Path) -> None:
    path = tmp_path / "labels.json"
    w = widget(autosave=str(path))
    assert json.loads(path.read_text())["regions"] == []
    rid = w.add_region(1.0, 2.0, "Run")
    assert json.loads(path.read_text())["regions"][0]["id"] == rid
    # A kernel restart: a new widget on the same file has the same regions.
    w2 = widget(autosave=str(path))
    assert w2.regions == w.regions
    w2.remove_region(rid)
    assert widget(autosave=str(path)).regions == []


def test_autosave_csv(tmp_path: Path) -> None:
    path = tmp_path / "labels.csv"
    w = widget(autosave=path)
    w.add_region(1.0, 2.0, "Run")
    assert widget(autosave=path).regions == w.regions


def test_autosave_is_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "labels.json"
    w = widget(autosave=str(path))
    w.add_region(1.0, 2.0, "Run")
    before = path.read_text()

    def crash(*_a, **_k):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(AutosaveError, match="disk full"):
        w.add_region(3.0, 4.0, "Walk")
    assert len(w.regions) == 1  # a change that cannot be saved is not made
    assert path.read_text() == before  # the old file is whole
    assert [p.name for p in tmp_path.iterdir()] == ["labels.json"]  # no temp file left


@pytest.mark.parametrize(
    ("name", "text", "match"),
    [
        ("l.json", "{not json", "not valid JSON"),
        ("l.json", json.dumps([1, 2]), "not a tsvideo-widget labels file"),
        ("l.csv", "", "empty"),
        ("l.csv", "name,age\nx,1\n", "not a tsvideo-widget labels file"),
    ],
)
def test_autosave_refuses_and_never_clobbers_a_broken_or_foreign_file(
    tmp_path: Path, name: str, text: str, match: str
) -> None:
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(LabelFileError, match=match):
        widget(autosave=str(path))
    assert path.read_text() == text


def test_autosave_and_regions_together_is_ambiguous(tmp_path: Path) -> None:
    path = tmp_path / "l.json"
    widget(autosave=str(path)).add_region(1.0, 2.0, "Run")
    with pytest.raises(ValueError, match="both regions= and an existing autosave"):
        widget(autosave=str(path), regions=[])


# -- property-based round trips ----------------------------------------------------------

region_st = st.tuples(
    st.integers(0, 1000),
    st.integers(0, 1000),
    st.sampled_from(LABELS),
    st.sampled_from([None, "ax", "ay"]),
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(items=st.lists(region_st, max_size=8), ext=st.sampled_from(["csv", "json"]))
def test_random_regions_survive_export_and_import(tmp_path: Path, items, ext: str) -> None:
    w = widget()
    for i, j, label, ch in items:
        a, b = sorted((i, j))
        # Times that are not round in binary or decimal: exactness is the point.
        start = max(0.0, a / 100.0 - 1e-9 * (a % 7))
        w.add_region(start, max(start, b / 100.0), label, channel=ch)
    by_id = lambda rs: sorted(rs, key=lambda r: r["id"])  # noqa: E731 - tables sort by start
    path = w.export(tmp_path / f"r.{ext}")
    w2 = widget()
    w2.load(path)
    assert by_id(w2.regions) == by_id(w.regions)
    w3 = widget()
    w3.from_dataframe(w.to_dataframe())
    assert by_id(w3.regions) == by_id(w.regions)
    w4 = widget()
    w4.from_label_studio(w.to_label_studio())
    assert by_id(w4.regions) == by_id(w.regions)
