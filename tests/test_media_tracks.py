"""Several media tracks: sources, per-track clocks, validation from Python and the browser."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import traitlets as t

from tsvideo_widget import TimeSeriesVideo
from tsvideo_widget.errors import MediaError

CASES = json.loads((Path(__file__).parent / "mapping_cases.json").read_text())["cases"]


def frame(n: int = 1001, span: float = 10.0) -> pd.DataFrame:
    time = np.linspace(0.0, span, n)
    return pd.DataFrame({"time": time, "ax": np.sin(time), "ay": np.cos(time)})


@pytest.fixture
def files(tmp_path: Path) -> dict[str, str]:
    out = {}
    for name, ext in (("front", "mp4"), ("side", "webm"), ("mic", "wav")):
        p = tmp_path / f"{name}.{ext}"
        p.write_bytes(b"\0" * 64)
        out[name] = str(p)
    return out


def widget(files: dict[str, str], **kw: Any) -> TimeSeriesVideo:
    return TimeSeriesVideo(frame(), media=dict(files), **kw)


def test_sources_name_the_tracks(files: dict[str, str]) -> None:
    one = TimeSeriesVideo(frame(), media=files["front"])
    assert list(one.tracks) == ["media"]
    listed = TimeSeriesVideo(frame(), media=[files["front"], files["mic"]])
    assert list(listed.tracks) == ["media0", "media1"]
    named = widget(files)
    assert list(named.tracks) == ["front", "side", "mic"]
    assert [named.tracks[n].kind for n in named.tracks] == ["video", "video", "audio"]
    assert [m["track"] for m in named._media] == ["front", "side", "mic"]
    assert named.tracks["side"].source.name == "side.webm"
    assert len(TimeSeriesVideo(frame()).tracks) == 0


def test_defaults_first_track_sounds_the_others_are_muted(files: dict[str, str]) -> None:
    w = widget(files)
    assert [w.tracks[n].muted for n in w.tracks] == [False, True, True]
    assert all(w.tracks[n].visible for n in w.tracks)
    assert [w.tracks[n].offset for n in w.tracks] == [None, None, None]
    assert [w.tracks[n].rate for n in w.tracks] == [1.0, 1.0, 1.0]


def test_first_track_clock_is_the_widgets_own(files: dict[str, str]) -> None:
    w = widget(files)
    w.tracks["front"].offset = 1.5
    w.tracks["front"].rate = 1.0002
    assert (w.offset, w.rate) == (1.5, 1.0002)
    w.offset = 2.0
    assert w.tracks["front"].offset == 2.0
    w.media_duration = 30.0
    assert w.tracks["front"].duration == 30.0
    assert w.tracks["front"].media_time == w.media_time
    # The other tracks' offsets are their own.
    assert w.tracks["side"].offset is None


def test_per_track_mapping_on_the_shared_cases(files: dict[str, str]) -> None:
    for c in CASES:
        span = float(c["span"])
        df = pd.DataFrame({"time": np.linspace(0.0, span, 11), "x": np.arange(11.0)})
        w = TimeSeriesVideo(df, media=dict(files))
        side = w.tracks["side"]
        side.offset = c["offset"]
        side.rate = c["rate"]
        side.knots = c.get("knots")
        if c["duration"] is not None:
            side.duration = float(c["duration"])
        got = w.data_to_media(c["rel"], track="side")
        assert got == pytest.approx(c["media"], rel=1e-12, abs=1e-9), c["name"]
        assert side.data_to_media(c["rel"]) == got
        back = w.media_to_data(got, track="side")
        assert back == pytest.approx(c["rel"], rel=1e-12, abs=1e-9), c["name"]
        # The first track is untouched by another track's alignment.
        assert w.data_to_media(c["rel"]) == pytest.approx(c["rel"], abs=1e-9) or c["span"] == 0


def test_tracks_keep_their_own_offsets_and_rates(files: dict[str, str]) -> None:
    w = widget(files)
    w.tracks["side"].offset = 2.35
    w.tracks["side"].rate = 1.0001
    w.tracks["mic"].offset = -3.0
    assert w.data_to_media(4.0, track="side") == pytest.approx(2.35 + 4.0 * 1.0001)
    assert w.data_to_media(4.0, track="mic") == pytest.approx(1.0)
    assert w.media_to_data(0.0, track="mic") == pytest.approx(3.0)
    assert w.data_to_media(4.0) == pytest.approx(4.0)  # the first track: proportional, no duration
    assert w._tracks[1] == {
        "name": "side",
        "muted": True,
        "visible": True,
        "knots": None,
        "offset": 2.35,
        "rate": 1.0001,
    }
    with pytest.raises(KeyError, match=r"'back'.*front"):
        w.data_to_media(1.0, track="back")


@pytest.mark.parametrize(
    ("attr", "value", "match"),
    [
        ("offset", math.nan, "offset"),
        ("offset", "2s", "offset"),
        ("rate", 0.0, "rate"),
        ("rate", -1.0, "rate"),
        ("rate", math.inf, "rate"),
        ("muted", 1, "muted"),
        ("visible", "yes", "visible"),
        ("duration", -3.0, "duration"),
        ("knots", [[0, 1]], "at least two"),
        ("knots", [[0, 1], [0, 2]], "increase"),
        ("knots", [[0, 1], [5, 0.5]], "increase"),
        ("knots", [[0, 1], [5, math.nan]], "finite"),
        ("knots", "0,1", "knots"),
    ],
)
def test_bad_track_values_change_nothing(
    files: dict[str, str], attr: str, value: Any, match: str
) -> None:
    w = widget(files)
    w.tracks["side"].offset = 1.0
    before = (list(w._tracks), dict(w._track_times))
    with pytest.raises(t.TraitError, match=match):
        setattr(w.tracks["side"], attr, value)
    assert (list(w._tracks), dict(w._track_times)) == before


def test_browser_values_are_checked_and_refused_ones_roll_back(files: dict[str, str]) -> None:
    w = widget(files)
    sent: list[Any] = []
    w.send = lambda msg, buffers=None: sent.append(msg)  # type: ignore[method-assign]
    good = [dict(e) for e in w._tracks]
    good[2]["muted"] = False
    w.set_state({"_tracks": good})
    assert w.tracks["mic"].muted is False
    bad = [dict(e) for e in w._tracks]
    bad[1]["name"] = "other"  # the browser cannot rename or reorder tracks
    w.set_state({"_tracks": bad})
    assert w._tracks[1]["name"] == "side"
    assert sent and sent[-1]["type"] == "rejected"
    w.set_state({"_track_times": {"side": {"duration": 12.5, "time": 3.25}}})
    assert (w.tracks["side"].duration, w.tracks["side"].media_time) == (12.5, 3.25)
    for times in (
        {"front": {"duration": 1.0, "time": 0.0}},  # the first track's are its own traits
        {"nope": {"duration": 1.0, "time": 0.0}},
        {"side": {"duration": 0.0, "time": 0.0}},
        {"side": {"duration": 1.0, "time": math.nan}},
        {"side": {"duration": 1.0}},
    ):
        w.set_state({"_track_times": times})
        assert w._track_times == {"side": {"duration": 12.5, "time": 3.25}}, times


def test_changing_media_keeps_settings_of_tracks_that_stay(files: dict[str, str]) -> None:
    w = widget(files)
    w.tracks["side"].offset = 2.0
    w.tracks["mic"].muted = False
    w.set_state({"_track_times": {"side": {"duration": 12.5, "time": 3.25}}})
    w.media = {"side": files["side"], "mic": files["mic"]}
    assert list(w.tracks) == ["side", "mic"]
    # "side" is now the first track: its clock is the widget's own, starting afresh.
    assert w.tracks["side"].duration is None and w._track_times == {}
    assert w.tracks["mic"].muted is False
    with pytest.raises(t.TraitError):
        w.media = {"side": files["side"], "bad name!": files["mic"]}
    assert list(w.tracks) == ["side", "mic"]


def test_bad_sources_name_the_track(files: dict[str, str], tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="side"):
        TimeSeriesVideo(frame(), media={"front": files["front"], "side": str(tmp_path / "x.mp4")})
    with pytest.raises(MediaError, match="track name"):
        TimeSeriesVideo(frame(), media={"": files["front"]})
    with pytest.raises(MediaError, match="'mic' has no source"):
        TimeSeriesVideo(frame(), media={"front": files["front"], "mic": None})
    with pytest.raises(t.TraitError, match="media_kind names the track 'back'"):
        TimeSeriesVideo(frame(), media=dict(files), media_kind={"back": "audio"})
    w = TimeSeriesVideo(frame(), media=dict(files), media_kind={"side": "audio"})
    assert w.tracks["side"].kind == "audio"


def test_dataframe_has_each_tracks_media_times_and_reads_back(files: dict[str, str]) -> None:
    w = widget(files, labels=["a"])
    w.tracks["side"].offset = 2.0
    w.tracks["mic"].offset = -3.0
    w.tracks["mic"].rate = 0.5
    w.add_region(1.0, 4.0, "a", n=1)
    df = w.to_dataframe()
    assert list(df.columns) == [
        "id", "label", "channel", "start", "end", "duration",
        "front_start", "front_end", "side_start", "side_end", "mic_start", "mic_end", "n",
    ]  # fmt: skip
    row = df.iloc[0]
    assert (row.side_start, row.side_end) == (3.0, 6.0)
    assert (row.mic_start, row.mic_end) == (-2.5, -1.0)
    before = list(w.regions)
    w.from_dataframe(df)
    assert w.regions == before  # the derived columns never become meta
    one = TimeSeriesVideo(frame(), media=files["front"], labels=["a"])
    one.add_region(1.0, 2.0, "a")
    assert list(one.to_dataframe().columns[6:8]) == ["media_start", "media_end"]


def test_protocol_serves_each_tracks_bytes(files: dict[str, str]) -> None:
    Path(files["mic"]).write_bytes(b"RIFF" + bytes(range(60)))
    w = widget(files)
    sent: list[tuple[Any, Any]] = []
    w.send = lambda msg, buffers=None: sent.append((msg, buffers))  # type: ignore[method-assign]
    w._protocol.handle(
        {"type": "media-chunk", "id": 1, "track": "mic", "offset": 0, "length": 4}, []
    )
    msg, bufs = sent[-1]
    assert msg["error"] is None and bytes(bufs[0]) == b"RIFF"
    w._protocol.handle(
        {"type": "media-chunk", "id": 2, "track": "back", "offset": 0, "length": 4}, []
    )
    assert "no media track 'back'" in sent[-1][0]["error"]
    w._protocol.handle(
        {"type": "waveform", "id": 3, "track": "front", "lo": 0, "hi": 1, "buckets": 10}, []
    )
    assert "is a video" in sent[-1][0]["error"]


def test_static_export_points_each_track_at_its_place(
    files: dict[str, str], tmp_path: Path
) -> None:
    from tsvideo_widget import export

    w = widget(files)
    page = tmp_path / "page"
    page.mkdir()
    state = export._widget_state(w, page, 0.0, {"side": "https://cdn.example.org/side.webm"})[
        "state"
    ]
    media = {m["track"]: m for m in state["_media"]}
    assert media["front"]["href"] == "../front.mp4"
    assert media["side"]["href"] == "https://cdn.example.org/side.webm"
    assert "path" not in media["mic"]
    with pytest.raises(MediaError, match="3 media tracks"):
        w.to_html(tmp_path / "x.html", media_href="one.mp4")
    with pytest.raises(MediaError, match="secret"):
        w.to_html(tmp_path / "x.html", media_href={"side": "https://x.org/s.webm?token=abc"})
    assert not (tmp_path / "x.html").exists()
