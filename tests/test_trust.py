"""The widget's promises: a refused value changes nothing, rules across traits hold
whichever trait changes, browser edits are acknowledged and exact, autosave is the truth."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import traitlets
from jupyter_client.jsonutil import json_default

from tsvideo_widget import TimeSeriesVideo
from tsvideo_widget import regions as reg
from tsvideo_widget.errors import AutosaveError, RegionError


def frame(n: int = 1000) -> pd.DataFrame:
    t = np.arange(n) / 100.0
    return pd.DataFrame({"time": t, "ax": np.sin(t), "ay": np.cos(t)})


def dt_frame(n: int = 1000, tz: str | None = "Europe/Paris") -> pd.DataFrame:
    t = pd.date_range("2024-05-01 12:00:00.000000001", periods=n, freq="10ms", tz=tz)
    return pd.DataFrame({"time": t, "v": np.arange(n, dtype=np.float64)})


class Sent:
    """Captures what the widget sends to the browser: custom messages and state updates."""

    def __init__(self, w: TimeSeriesVideo, monkeypatch: pytest.MonkeyPatch) -> None:
        self.msgs: list[dict[str, Any]] = []
        self.states: list[list[str]] = []
        monkeypatch.setattr(w, "send", lambda content, buffers=None: self.msgs.append(content))
        monkeypatch.setattr(
            w,
            "send_state",
            lambda key=None: self.states.append([key] if isinstance(key, str) else list(key or [])),
        )


def from_browser(w: TimeSeriesVideo, state: dict[str, Any]) -> None:
    """``set_state`` with a payload as the browser's JSON would deliver it."""
    w.set_state(json.loads(json.dumps(state, default=json_default)))


def snapshot(w: TimeSeriesVideo) -> dict[str, Any]:
    names = [n for n in w.trait_names() if n not in ("_overview", "comm", "log", "keys")]
    return {n: getattr(w, n) for n in names}


# -- a refused value changes nothing ----------------------------------------------------------

BAD_BROWSER_STATES = [
    {"regions": [{"id": "a", "start": 3.0, "end": 1.0, "label": "Run", "channel": None}]},
    {"regions": [{"id": "a", "start": 1.0, "end": 2.0, "label": "Fly", "channel": None}]},
    {"regions": [{"id": "a", "start": 1.0, "end": 2.0, "label": "Run", "channel": "az"}]},
    {
        "regions": [
            {"id": "a", "start": 1.0, "end": 2.0, "label": "Run", "channel": None},
            {"id": "a", "start": 2.0, "end": 3.0, "label": "Run", "channel": None},
        ]
    },
    {"regions": [{"id": "a", "start": 1.0, "end": 99.0, "label": "Run", "channel": None}]},
    {"regions": "nonsense"},
    {"regions": [{"id": "a", "start": "x", "end": 1.0, "label": "Run", "channel": None}]},
    {"selection": [5.0, 100.0]},
    {"selection": [3.0, 1.0]},
    {"selection": ["a", "b"]},
    {"rate": 0},
    {"window": -1},
    {"offset": None, "rate": -2},
    {"height": 3},
    {"media_duration": 0},
    {"sync": "sometimes"},
    {"selection": [1.0, 2.0], "rate": 0},
]


@pytest.mark.parametrize("state", BAD_BROWSER_STATES, ids=lambda s: json.dumps(s)[:60])
def test_a_refused_browser_change_changes_nothing(
    state: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "labels.json"
    w = TimeSeriesVideo(frame(), labels=["Run", "Walk"], autosave=path)
    w.add_region(4.0, 5.0, "Walk", note="kept")
    before, on_disk = snapshot(w), path.read_bytes()
    sent = Sent(w, monkeypatch)
    from_browser(w, state)
    assert snapshot(w) == before
    assert path.read_bytes() == on_disk
    # The browser is told, and gets the kernel's values back.
    assert sent.msgs and sent.msgs[-1]["type"] == "rejected" and sent.msgs[-1]["error"]
    assert sorted(sent.states[-1]) == sorted(k for k in state if k in w.keys)


def test_a_refused_key_rolls_back_an_accepted_one_on_disk_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "labels.csv"
    w = TimeSeriesVideo(frame(), labels=["Run"], autosave=path)
    on_disk = path.read_bytes()
    Sent(w, monkeypatch)
    good = [{"id": "a", "start": 1.0, "end": 2.0, "label": "Run", "channel": None, "meta": {}}]
    from_browser(w, {"regions": good, "selection": [3.0, 1.0]})
    assert w.regions == []
    assert path.read_bytes() == on_disk


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("rate", 0),
        ("rate", "fast"),
        ("window", -1),
        ("offset", float("nan")),
        ("height", 10),
        ("media_duration", 0.0),
        ("selection", (3.0, 1.0)),
        ("labels", 5),
        ("hotkeys", {"Run": "ab"}),
        ("channels", ["nope"]),
        ("time", "nope"),
        ("time_unit", "fortnights"),
        ("autosave", 3),
    ],
)
def test_every_refusal_from_python_is_a_trait_error(name: str, value: Any) -> None:
    w = TimeSeriesVideo(frame(), labels=["Run"])
    before = snapshot(w)
    with pytest.raises(traitlets.TraitError):
        setattr(w, name, value)
    assert snapshot(w) == before


# -- rules across traits, whichever trait changes ----------------------------------------------


def test_labels_cannot_drop_a_label_in_use_even_as_none() -> None:
    w = TimeSeriesVideo(frame(), labels=["Run", "Walk"])
    rid = w.add_region(1.0, 2.0, "Walk")
    with pytest.raises(RegionError, match=rid):
        w.labels = ["Run"]
    w.labels = None  # no label list: any label is allowed, so "Walk" stays valid
    w.labels = ["Walk"]
    with pytest.raises(RegionError, match="Walk"):
        w.labels = {"Run": "red"}
    assert w.labels == ["Walk"]


def test_channels_and_data_cannot_invalidate_regions() -> None:
    w = TimeSeriesVideo(frame(), labels=["Run"])
    rid = w.add_region(8.0, 9.0, "Run", channel="ay")
    with pytest.raises(RegionError, match=rid):
        w.channels = ["ax"]
    with pytest.raises(RegionError, match=rid):
        w.data = frame(500)  # spans 0..4.99 s: the region would be outside it
    assert w.series.n == 1000 and w.channels is None
    w.data = frame(2000)  # longer: still valid
    assert w.series.n == 2000 and w.regions[0]["id"] == rid


def test_time_unit_never_changes_what_a_region_means() -> None:
    df = pd.DataFrame({"time": np.arange(0, 10_000, 10.0), "v": np.arange(1000.0)})
    w = TimeSeriesVideo(df, time_unit="ms", labels=["Run"])
    rid = w.add_region(100.0, 200.0, "Run")
    with pytest.raises(RegionError, match=rid):
        w.time_unit = "s"
    assert w.time_unit == "ms" and w.regions[0]["start"] == 100.0
    w.clear_regions()
    w.time_unit = "s"
    assert w.series.span == 9990.0


def test_data_with_another_time_zone_keeps_the_same_instants(tmp_path: Path) -> None:
    w = TimeSeriesVideo(dt_frame(tz="UTC"), labels=["Run"], autosave=tmp_path / "l.json")
    start = pd.Timestamp("2024-05-01 12:00:01.000000001", tz="UTC")
    w.add_region(start, start + pd.Timedelta("1s"), "Run")
    paris = dt_frame(tz="UTC")
    paris["time"] = paris["time"].dt.tz_convert("Europe/Paris")
    w.data = paris
    r = w.regions[0]
    assert str(r["start"].tz) == "Europe/Paris" and r["start"] == start
    assert (
        TimeSeriesVideo(w.data, labels=["Run"], autosave=tmp_path / "l.json").regions == w.regions
    )


# -- browser edits ----------------------------------------------------------------------------


def edit(w: TimeSeriesVideo, client: str, ops: list[dict[str, Any]], rid: int = 1) -> None:
    w._protocol.handle(
        json.loads(json.dumps({"type": "edit", "id": rid, "client": client, "ops": ops})), []
    )


def test_edits_are_applied_once_in_order_and_acknowledged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "l.json"
    w = TimeSeriesVideo(frame(), labels=["Run", "Walk"], autosave=path)
    sent = Sent(w, monkeypatch)
    a = {"id": "a", "start": 1.0, "end": 2.0, "label": "Run", "channel": None}
    b = {"id": "b", "start": 3.0, "end": 3.0, "label": "Walk", "channel": "ax"}
    edit(w, "c1", [{"seq": 1, "id": "a", "region": a}, {"seq": 2, "id": "b", "region": b}])
    assert sent.msgs[-1] == {"type": "edit", "id": 1, "error": None, "seq": 2}
    assert [r["id"] for r in w.regions] == ["a", "b"]
    assert TimeSeriesVideo(frame(), labels=["Run", "Walk"], autosave=path).regions == w.regions
    # A re-sent message (the reply was lost) changes nothing.
    w.remove_region("a")
    edit(w, "c1", [{"seq": 1, "id": "a", "region": a}, {"seq": 2, "id": "b", "region": b}], 2)
    assert sent.msgs[-1]["seq"] == 2 and [r["id"] for r in w.regions] == ["b"]
    # Another client's sequence is its own.
    edit(w, "c2", [{"seq": 1, "id": "b", "region": None}], 3)
    assert w.regions == [] and sent.msgs[-1]["seq"] == 1


def test_a_refused_edit_applies_none_of_its_ops_and_names_the_region(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    w = TimeSeriesVideo(frame(), labels=["Run"])
    sent = Sent(w, monkeypatch)
    good = {"id": "a", "start": 1.0, "end": 2.0, "label": "Run", "channel": None}
    bad = {"id": "b", "start": 5.0, "end": 4.0, "label": "Run", "channel": None}
    edit(w, "c", [{"seq": 1, "id": "a", "region": good}, {"seq": 2, "id": "b", "region": bad}])
    reply = sent.msgs[-1]
    assert reply["seq"] == 0 and "region b" in reply["error"]
    assert w.regions == [] and sent.states[-1] == ["regions"]
    edit(w, "c", [{"seq": 1, "id": "a", "region": good}], 2)
    assert sent.msgs[-1] == {"type": "edit", "id": 2, "error": None, "seq": 1}


def test_an_edit_keeps_meta_and_other_regions_exactly(monkeypatch: pytest.MonkeyPatch) -> None:
    w = TimeSeriesVideo(dt_frame(), labels=["Run"])
    t0 = w.series.t0
    big = 2**53 + 1
    ra = w.add_region(t0 + pd.Timedelta(1_000_000_007, "ns"), t0 + pd.Timedelta("2s"), "Run", n=big)
    rb = w.add_region(t0 + pd.Timedelta(3_000_000_003, "ns"), t0 + pd.Timedelta("4s"), "Run")
    before = [dict(r) for r in w.regions]
    Sent(w, monkeypatch)
    wire = reg.to_wire(w.regions, w.series)
    moved = {**wire[0], "end": wire[0]["end"] + 0.5}
    moved.pop("meta")
    edit(w, "c", [{"seq": 1, "id": ra, "region": moved}])
    a, b = w.regions
    assert b == before[1] and b["id"] == rb  # untouched: bit-identical
    assert a["start"] == before[0]["start"]  # this edge did not move: kept to the nanosecond
    assert a["end"] == t0 + pd.Timedelta("2.5s")
    assert a["meta"] == {"n": big} and type(a["meta"]["n"]) is int


def test_browser_state_round_trip_is_bit_identical_for_unchanged_regions(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    w = TimeSeriesVideo(dt_frame(), labels=["Run"])
    t0 = w.series.t0
    for k in range(5):
        w.add_region(
            t0 + pd.Timedelta(k * 1_000_000_001 + 7, "ns"), t0 + pd.Timedelta(f"{k}.9s"), "Run"
        )
    last = w.series.from_rel(w.series.span)
    w.add_region(t0 + pd.Timedelta("5s"), last, "Run")  # ends on the last sample
    before = [dict(r) for r in w.regions]
    Sent(w, monkeypatch)
    wire = reg.to_wire(w.regions, w.series)
    wire[2] = {**wire[2], "start": wire[2]["start"] + 0.25}
    from_browser(w, {"regions": wire})
    assert [r for i, r in enumerate(w.regions) if i != 2] == [
        r for i, r in enumerate(before) if i != 2
    ]
    assert w.labels_per_sample().iloc[-1] == "Run"


def test_meta_a_file_cannot_hold_is_refused_up_front(tmp_path: Path) -> None:
    w = TimeSeriesVideo(frame(), labels=["Run"], autosave=tmp_path / "l.json")
    for bad in [{1, 2}, pd.Timestamp("2024-01-01"), np.arange(3), b"x", float("nan"), (1, 2)]:
        with pytest.raises(RegionError, match="note"):
            w.add_region(1.0, 2.0, "Run", note=bad)
    assert w.regions == []
    w.add_region(1.0, 2.0, "Run", note=np.int64(3), tags=["a", {"b": None}])
    assert type(w.regions[0]["meta"]["note"]) is int


# -- autosave ---------------------------------------------------------------------------------


def test_a_file_changed_by_someone_else_is_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "l.json"
    a = TimeSeriesVideo(frame(), labels=["Run"], autosave=path)
    b = TimeSeriesVideo(frame(), labels=["Run"], autosave=path)
    a.add_region(1.0, 2.0, "Run")
    on_disk = path.read_bytes()
    with pytest.raises(AutosaveError, match=r"l\.json"):
        b.add_region(3.0, 4.0, "Run")
    assert b.regions == [] and path.read_bytes() == on_disk
    b.load(path)  # take the file's regions, then go on
    b.add_region(3.0, 4.0, "Run")
    assert len(TimeSeriesVideo(frame(), labels=["Run"], autosave=path).regions) == 2


def test_setting_autosave_later_loads_or_refuses_never_overwrites(tmp_path: Path) -> None:
    path = tmp_path / "l.csv"
    first = TimeSeriesVideo(frame(), labels=["Run"], autosave=path)
    first.add_region(1.0, 2.0, "Run")
    on_disk = path.read_bytes()
    empty = TimeSeriesVideo(frame(), labels=["Run"])
    empty.autosave = path
    assert empty.regions == first.regions
    other = TimeSeriesVideo(frame(), labels=["Run"])
    other.add_region(5.0, 6.0, "Run")
    with pytest.raises(traitlets.TraitError, match=r"l\.csv"):
        other.autosave = path
    assert other.autosave is None and path.read_bytes() == on_disk
    other.autosave = tmp_path / "new.csv"
    assert os.path.exists(tmp_path / "new.csv") and other.autosave == str(tmp_path / "new.csv")


def test_store_key_names_file_and_data() -> None:
    w = TimeSeriesVideo(frame(), labels=["Run"])
    assert w._store_key == ""


def test_store_key_is_stable_across_widgets_and_follows_the_data(tmp_path: Path) -> None:
    path = tmp_path / "l.json"
    a = TimeSeriesVideo(frame(), labels=["Run"], autosave=path)
    b = TimeSeriesVideo(frame(), labels=["Run"], autosave=path)
    assert a._store_key == b._store_key != ""
    b.data = frame(1200)
    assert b._store_key != a._store_key
    b.autosave = None
    assert b._store_key == ""


def test_repr_says_what_the_widget_holds(tmp_path: Path) -> None:
    w = TimeSeriesVideo(frame(), labels=["Run"], autosave=tmp_path / "l.json")
    w.add_region(1.0, 2.0, "Run")
    text = repr(w)
    assert "1,000 samples x 2 channels" in text and "1 regions" in text and "l.json" in text


def test_dataframe_round_trip_keeps_meta_types_and_integer_time() -> None:
    t = 1_700_000_000_000_000_000 + np.arange(1000, dtype=np.int64)  # epoch ns, 1 ns apart
    w = TimeSeriesVideo(pd.DataFrame({"time": t, "v": np.arange(1000.0)}), time_unit="ns")
    big = 2**53 + 1
    w.add_region(int(t[3]), int(t[4]), "Run", n=big, s="007")
    w.add_region(int(t[5]), int(t[5]), "Walk", flag=None, s="True")
    df = w.to_dataframe()
    assert df["start"].dtype == np.int64 and df["start"].tolist() == [int(t[3]), int(t[5])]
    w2 = TimeSeriesVideo(w.data, time_unit="ns")
    w2.from_dataframe(df)
    assert w2.regions == w.regions
    assert type(w2.regions[0]["meta"]["n"]) is int and w2.regions[1]["meta"] == {
        "flag": None,
        "s": "True",
    }
    assert w2.labels_per_sample().iloc[3:6].tolist() == ["Run", "Run", None]


def test_edits_on_another_thread_and_a_running_cell_never_interleave(tmp_path: Path) -> None:
    # JupyterLab may deliver widget messages on a kernel subshell (a thread) while a cell
    # runs: both change `regions` and the file; every change must be kept, none refused.
    import threading

    path = tmp_path / "l.json"
    w = TimeSeriesVideo(frame(), labels=["Run"], autosave=path)
    replies: list[dict[str, Any]] = []
    w.send = lambda content, buffers=None: replies.append(content)  # type: ignore[method-assign]

    def browser() -> None:
        for k in range(60):
            r = {"id": f"b{k}", "start": k * 0.1, "end": k * 0.1 + 0.05, "label": "Run"}
            edit(w, "c", [{"seq": k + 1, "id": r["id"], "region": {**r, "channel": None}}], k)

    thread = threading.Thread(target=browser)
    thread.start()
    for k in range(60):
        w.add_region(k * 0.1, k * 0.1 + 0.02, "Run", k=k)
    thread.join()
    assert [r["error"] for r in replies if r.get("type") == "edit"] == [None] * 60
    assert len(w.regions) == 120
    reopened = TimeSeriesVideo(frame(), labels=["Run"], autosave=path)
    assert reopened.regions == w.regions


def test_a_late_message_adds_what_no_later_op_touched_and_never_undoes_a_later_edit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # JupyterLab may deliver one message on the main shell (behind a running cell) and the
    # next on a subshell, so they can arrive out of order.
    w = TimeSeriesVideo(frame(), labels=["Run"])
    sent = Sent(w, monkeypatch)
    x_new = {"id": "x", "start": 2.0, "end": 3.0, "label": "Run", "channel": None}
    x_old = {**x_new, "start": 1.0}
    y = {"id": "y", "start": 5.0, "end": 6.0, "label": "Run", "channel": None}
    edit(w, "c", [{"seq": 3, "id": "x", "region": x_new}], 1)
    edit(w, "c", [{"seq": 1, "id": "x", "region": x_old}, {"seq": 2, "id": "y", "region": y}], 2)
    assert {r["id"]: r["start"] for r in w.regions} == {"x": 2.0, "y": 5.0}
    assert sent.msgs[-1] == {"type": "edit", "id": 2, "error": None, "seq": 3}


def test_a_zero_media_duration_from_the_browser_names_the_media(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    p = tmp_path / "clip.mp4"
    p.write_bytes(b"\0\0\0\x18ftypmp42" + b"\0" * 64)
    w = TimeSeriesVideo(frame(), media=p)
    sent = Sent(w, monkeypatch)
    from_browser(w, {"media_duration": 0})
    assert w.media_duration is None
    assert "clip.mp4" in sent.msgs[-1]["error"] and "ffmpeg" in sent.msgs[-1]["error"]
