"""The widget without a kernel: construction, traits, validation, messages."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import tsvideo_widget
from tsvideo_widget import DataError, MediaError, TimeSeriesVideo
from tsvideo_widget.wirestate import selection_from_json, selection_to_json

ROOT = Path(__file__).resolve().parent.parent


def frame(n: int = 1000) -> pd.DataFrame:
    t = np.arange(n) / 100.0
    return pd.DataFrame({"time": t, "ax": np.sin(t), "ay": np.cos(t).astype(np.float32)})


@pytest.fixture
def video(tmp_path: Path) -> Path:
    p = tmp_path / "v.mp4"
    p.write_bytes(b"\0\0\0\x18ftypmp42" + b"\0" * 64)
    return p


class Sent:
    """Captures what the widget sends to the browser."""

    def __init__(self, w: TimeSeriesVideo, monkeypatch: pytest.MonkeyPatch) -> None:
        self.msgs: list[tuple[dict[str, Any], list[Any]]] = []
        monkeypatch.setattr(
            w, "send", lambda content, buffers=None: self.msgs.append((content, buffers or []))
        )


def test_version_is_one_number() -> None:
    found = re.search(r'^version = "([^"]+)"', (ROOT / "pyproject.toml").read_text(), re.M)
    assert found, "pyproject.toml has no version line"
    py = found.group(1)
    js = json.loads((ROOT / "package.json").read_text())["version"]
    assert py == js == tsvideo_widget.__version__


def test_esm_and_css_are_the_built_bundle() -> None:
    from tsvideo_widget import widget

    assert widget.STATIC == ROOT / "tsvideo_widget" / "static"
    # anywidget wraps the Path in a file reader; it must point at the bundle.
    assert Path(TimeSeriesVideo._esm._path) == widget.STATIC / "widget.js"
    assert Path(TimeSeriesVideo._css._path) == widget.STATIC / "widget.css"
    assert (widget.STATIC / "widget.js").stat().st_size > 10_000


def test_dataframe_and_video(video: Path) -> None:
    w = TimeSeriesVideo(frame(), media=str(video), channels=["ax", "ay"])
    assert w._meta["channels"] == ["ax", "ay"]
    assert w._meta["n"] == 1000
    assert w._media[0]["kind"] == "video" and w._media[0]["source"] == "file"
    assert w.selection == (0.0, 5.0)  # window=5 media seconds, duration unknown: 1:1
    assert w.sync == "ts-to-media" and w.offset is None and w.rate == 1.0


def test_csv_path_and_dict(tmp_path: Path) -> None:
    p = tmp_path / "d.csv"
    frame().to_csv(p, index=False)
    assert TimeSeriesVideo(str(p))._meta["channels"] == ["ax", "ay"]
    w = TimeSeriesVideo({"t": np.arange(10.0), "v": np.arange(10.0)}, time="t")
    assert w._meta["channels"] == ["v"]


def test_overview_is_binary_and_small() -> None:
    w = TimeSeriesVideo(frame(200_000))
    ov = w._overview
    assert isinstance(ov["x"], memoryview)
    assert all(isinstance(b, memoryview) for b in ov["ys"])
    assert ov["dtypes"] == ["float64", "float32"]
    # M4: at most four points per column, columns at most 19% finer than asked.
    assert ov["points"] <= 4 * math.ceil(1000 * 2**0.25) + 4
    assert ov["x"].nbytes == ov["points"] * 4  # float32 offsets from x0
    assert ov["ys"][1].nbytes == ov["points"] * 4
    # Overview extremes are the data's extremes.
    y0 = np.frombuffer(ov["ys"][0], dtype=np.float64)
    assert y0.min() == frame(200_000)["ax"].min() and y0.max() == frame(200_000)["ax"].max()


def test_unknown_keyword_raises_type_error() -> None:
    with pytest.raises(TypeError, match=r"unexpected keyword argument\(s\) \['colour'\]"):
        TimeSeriesVideo(frame(), colour="red")
    with pytest.raises(TypeError, match="_meta"):
        TimeSeriesVideo(frame(), _meta={})


def test_construction_errors_name_the_problem(video: Path) -> None:
    with pytest.raises(DataError, match="time column 'when' not found"):
        TimeSeriesVideo(frame(), time="when")
    with pytest.raises(FileNotFoundError, match=r"nothing\.mp4"):
        TimeSeriesVideo(frame(), media=str(video.parent / "nothing.mp4"))
    with pytest.raises(MediaError, match="not allowed"):
        TimeSeriesVideo(frame(), media="javascript:alert(1)")


def test_later_assignment_is_validated_and_keeps_the_old_value() -> None:
    w = TimeSeriesVideo(frame())
    with pytest.raises(DataError, match="channel 'nope'"):
        w.channels = ["nope"]
    assert w.channels is None and w._meta["channels"] == ["ax", "ay"]
    with pytest.raises(DataError, match="time column 'x' not found"):
        w.time = "x"
    assert w.time == "time"
    bad = frame()
    bad.loc[10, "time"] = 0.0
    with pytest.raises(DataError, match="row 10"):
        w.data = bad
    w.channels = ["ay"]
    assert w._meta["channels"] == ["ay"]


def test_new_data_rebuilds_overview_and_keeps_a_valid_selection() -> None:
    w = TimeSeriesVideo(frame(), selection=(1.0, 2.0))
    w.data = frame(500)  # spans 0..4.99 s
    assert w._meta["n"] == 500
    assert w.selection == (1.0, 2.0)
    w.data = frame(50)  # spans 0..0.49 s: the old window no longer fits
    assert w.selection[1] <= 0.49


def test_later_media_assignment(video: Path) -> None:
    w = TimeSeriesVideo(frame(), media=str(video))
    w.media_duration = 12.0
    with pytest.raises(FileNotFoundError):
        w.media = str(video.parent / "gone.mp4")
    assert w._media[0]["name"] == "v.mp4" and w.media_duration == 12.0
    w.media = "https://example.org/a.webm"
    assert w._media[0]["source"] == "url"
    assert w.media_duration is None  # a new media's duration is unknown until it loads
    w.media = None
    assert w._media == []


@pytest.mark.parametrize(
    ("name", "value", "match"),
    [
        ("rate", 0.0, "rate must be"),
        ("rate", float("nan"), "rate must be"),
        ("window", -1.0, "window must be"),
        ("offset", float("inf"), "offset must be"),
        ("sync", "sometimes", "sync"),
        ("height", 10, "height must be"),
    ],
)
def test_trait_validation_on_assignment(name: str, value: Any, match: str) -> None:
    w = TimeSeriesVideo(frame())
    with pytest.raises(Exception, match=match):
        setattr(w, name, value)


def test_selection_validation() -> None:
    w = TimeSeriesVideo(frame())
    w.selection = (2, 3)
    assert w.selection == (2.0, 3.0)
    with pytest.raises(ValueError, match="before its start"):
        w.selection = (3.0, 2.0)
    with pytest.raises(ValueError, match="outside the data"):
        w.selection = (5.0, 100.0)
    with pytest.raises(TypeError, match="pair"):
        w.selection = (1.0,)
    assert w.selection == (2.0, 3.0)


def test_selection_json_round_trip_numeric_with_unit() -> None:
    df = pd.DataFrame({"time": np.arange(1000, 2000, dtype=np.float64), "v": np.arange(1000.0)})
    w = TimeSeriesVideo(df, time_unit="ms", selection=(1100.0, 1200.0))
    assert selection_to_json(w.selection, w) == pytest.approx([0.1, 0.2])
    assert selection_from_json([0.25, 0.5], w) == pytest.approx((1250.0, 1500.0))


def test_selection_in_timestamps_for_datetimes() -> None:
    t = pd.date_range("2024-05-01 12:00", periods=600, freq="100ms", tz="UTC")
    w = TimeSeriesVideo(pd.DataFrame({"time": t, "v": np.arange(600.0)}))
    a, b = w.selection
    assert isinstance(a, pd.Timestamp) and a == t[0]
    assert b == t[0] + pd.Timedelta(seconds=5)
    w.selection = ("2024-05-01 12:00:10", pd.Timestamp("2024-05-01 12:00:20.5", tz="UTC"))
    assert selection_to_json(w.selection, w) == pytest.approx([10.0, 20.5])
    assert w._meta["t0_wall_s"] == int(t[0].timestamp()) and w._meta["t0_frac"] == 0.0


def test_datetime_meta_keeps_microseconds_and_local_wall_clock() -> None:
    t = pd.to_datetime(["2024-05-01T12:00:00.123456+02:00", "2024-05-01T12:00:01.123456+02:00"])
    w = TimeSeriesVideo(pd.DataFrame({"time": t, "v": [1.0, 2.0]}))
    wall = pd.Timestamp("2024-05-01T12:00:00").timestamp()
    assert w._meta["t0_wall_s"] == int(wall)
    assert w._meta["t0_frac"] == pytest.approx(0.123456, abs=1e-12)


def test_auto_window_follows_the_media_duration_until_the_user_moves_it() -> None:
    w = TimeSeriesVideo(frame(), window=2.0)  # data spans 9.99 s
    assert w.selection == pytest.approx((0.0, 2.0))
    w.media_duration = 99.9  # media is 10x longer: 2 media s = 0.2 data s
    assert w.selection == pytest.approx((0.0, 0.2))
    w.selection = (1.0, 3.0)
    w.media_duration = 9.99
    assert w.selection == pytest.approx((1.0, 3.0))


def test_mapping_methods() -> None:
    w = TimeSeriesVideo(frame())
    w.media_duration = 19.98
    assert w.data_to_media(5.0) == pytest.approx(10.0)
    assert w.media_to_data(10.0) == pytest.approx(5.0)
    w.offset, w.rate = 2.0, 1.0
    assert w.data_to_media(5.0) == pytest.approx(7.0)
    assert w.media_to_data(7.0) == pytest.approx(5.0)


def test_detail_request_replies_with_binary_decimated_window(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    n = 1_000_000
    df = pd.DataFrame({"time": np.arange(n) / 1000.0, "v": np.random.default_rng(0).normal(size=n)})
    w = TimeSeriesVideo(df)
    sent = Sent(w, monkeypatch)
    w._protocol.handle({"type": "detail", "id": 7, "lo": 100.0, "hi": 200.0, "buckets": 1000}, [])
    msg, bufs = sent.msgs[-1]
    assert msg["type"] == "detail" and msg["id"] == 7 and msg["error"] is None
    x = msg["x0"] + np.frombuffer(bufs[0], dtype=np.float32).astype(np.float64)
    y = np.frombuffer(bufs[1], dtype=np.float64)
    assert len(x) == len(y) == msg["points"] <= 4 * math.ceil(1000 * 2**0.25) + 4
    assert x[0] <= 100.0 and x[-1] >= 200.0
    raw = df["v"].to_numpy()[msg["i0"] : msg["i1"]]
    assert y.min() == raw.min() and y.max() == raw.max()


def test_assigning_data_never_compares_tables_elementwise(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # traitlets compares old and new values with ==: for a DataFrame that would
    # compare every cell (seconds and a table-sized copy for 1e8 rows).
    # (traitlets swallows exceptions from ==, so record the calls instead.)
    calls: list[str] = []

    def spy(self: Any, other: Any) -> Any:
        calls.append("eq")
        return NotImplemented

    monkeypatch.setattr(pd.DataFrame, "__eq__", spy)
    w = TimeSeriesVideo(frame())
    seen: list[Any] = []
    w.observe(lambda c: seen.append(c["new"]), names="data")
    other = frame(500)
    w.data = other
    assert seen == [other] and w.series.n == 500
    w.data = other  # the same object again: no change, no notification
    assert len(seen) == 1
    assert calls == [], f"DataFrame.__eq__ was called {len(calls)} times"


def test_small_integers_travel_as_themselves(monkeypatch: pytest.MonkeyPatch) -> None:
    n = 100_000
    counts = np.random.default_rng(1).integers(-32768, 32767, size=n).astype(np.int16)
    w = TimeSeriesVideo(pd.DataFrame({"time": np.arange(n) / 1000.0, "adc": counts}))
    assert w._overview["dtypes"] == ["int16"]
    sent = Sent(w, monkeypatch)
    w._protocol.handle({"type": "detail", "id": 1, "lo": 10.0, "hi": 12.0, "buckets": 100}, [])
    msg, bufs = sent.msgs[-1]
    y = np.frombuffer(bufs[1], dtype="<i2")
    assert msg["dtypes"] == ["int16"] and len(bufs[1]) == 2 * msg["points"]
    raw = counts[msg["i0"] : msg["i1"]]
    assert y.min() == raw.min() and y.max() == raw.max()


def test_bad_requests_get_an_error_reply_not_silence(monkeypatch: pytest.MonkeyPatch) -> None:
    w = TimeSeriesVideo(frame())
    sent = Sent(w, monkeypatch)
    w._protocol.handle({"type": "detail", "id": 1, "lo": 5.0, "hi": 1.0, "buckets": 10}, [])
    assert sent.msgs[-1][0]["id"] == 1 and "bad detail window" in sent.msgs[-1][0]["error"]
    w._protocol.handle({"type": "launch", "id": 2}, [])
    assert "unknown request" in sent.msgs[-1][0]["error"]
    w._protocol.handle({"type": "media-chunk", "id": 3, "offset": 0, "length": 10}, [])
    assert "no media" in sent.msgs[-1][0]["error"]


def test_media_chunks_stream_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    p = tmp_path / "a.wav"
    payload = b"RIFF\0\0\0\0WAVE" + bytes(range(256)) * 40
    p.write_bytes(payload)
    w = TimeSeriesVideo(frame(), media=p)
    sent = Sent(w, monkeypatch)
    got = b""
    while len(got) < len(payload):
        w._protocol.handle({"type": "media-chunk", "id": 9, "offset": len(got), "length": 4000}, [])
        msg, bufs = sent.msgs[-1]
        assert msg["error"] is None and msg["size"] == len(payload)
        got += bytes(bufs[0])
    assert got == payload


def test_labels_are_stored() -> None:
    w = TimeSeriesVideo(frame(), labels=["Run", "Walk"])
    assert w.labels == ["Run", "Walk"]
    assert w._labels == [
        {"name": "Run", "color": None, "key": "1"},
        {"name": "Walk", "color": None, "key": "2"},
    ]
    w.labels = {"Run": "#f00"}
    assert w._labels == [{"name": "Run", "color": "#f00", "key": "1"}]
    with pytest.raises(ValueError, match="twice"):
        w.labels = ["Run", "Run"]
    with pytest.raises(TypeError, match="list of names"):
        w.labels = "Run"


def test_same_widget_state_is_json_serialisable_apart_from_buffers() -> None:
    w = TimeSeriesVideo(frame())
    state = w.get_state()
    state.pop("_overview")
    json.dumps(state)


def test_none_assignments_are_checked_too() -> None:
    # traitlets skips validators for None; the widget still checks, and reverts on error.
    df = frame()
    df.index = np.arange(len(df))[::-1]  # an index running backwards
    w = TimeSeriesVideo(df, channels=["ax"])
    with pytest.raises(DataError, match="not sorted"):
        w.time = None
    assert w.time == "time" and w._meta["time_name"] == "time"
    w.channels = None  # back to every numeric column
    assert w._meta["channels"] == ["ax", "ay"]
