"""Sync points, fitted alignments, apply and undo, from Python and from the browser."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import traitlets as t

from tsvideo_widget import TimeSeriesVideo
from tsvideo_widget.alignfit import RESIDUAL_COLUMNS, Point, fit
from tsvideo_widget.errors import AlignmentError
from tsvideo_widget.wire import SPEC

FPS = 25.0


def frame(span: float = 900.0, hz: float = 100.0) -> pd.DataFrame:
    time = np.arange(0.0, span + 1e-9, 1.0 / hz)
    return pd.DataFrame({"time": time, "acc": np.sin(time)})


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


def captured(w: TimeSeriesVideo) -> list[dict[str, Any]]:
    sent: list[dict[str, Any]] = []
    w.send = lambda msg, buffers=None: sent.append(msg)  # type: ignore[method-assign]
    return sent


# -- sync points ----------------------------------------------------------------------------
def test_add_sync_point_defaults_to_the_first_track_and_returns_its_id(files) -> None:
    w = widget(files)
    pid = w.add_sync_point(12.5, 14.0)
    other = w.add_sync_point(30.0, 27.5, track="mic")
    assert w.sync_points == [
        {"id": pid, "track": "front", "data_time": 12.5, "media_time": 14.0},
        {"id": other, "track": "mic", "data_time": 30.0, "media_time": 27.5},
    ]
    w.remove_sync_point(pid)
    assert [p["id"] for p in w.sync_points] == [other]
    with pytest.raises(KeyError, match=other):
        w.remove_sync_point("nope")


@pytest.mark.parametrize(
    ("point", "match"),
    [
        ({"data_time": 1000.0, "media_time": 1.0}, "outside|after|span"),
        ({"data_time": -1.0, "media_time": 1.0}, "outside|before|span"),
        ({"data_time": 1.0, "media_time": -0.5}, "media_time"),
        ({"data_time": 1.0, "media_time": math.nan}, "media_time"),
        ({"data_time": 1.0, "media_time": "2s"}, "media_time"),
        ({"data_time": 1.0, "media_time": 1.0, "track": "back"}, "'back'.*front"),
        ({"data_time": 1.0, "media_time": 1.0, "colour": "red"}, "unknown keys"),
        ({"media_time": 1.0}, "data_time"),
    ],
)
def test_a_bad_sync_point_changes_nothing(files, point: dict, match: str) -> None:
    w = widget(files)
    w.add_sync_point(5.0, 5.0)
    before = list(w.sync_points)
    with pytest.raises(t.TraitError, match=match):
        w.sync_points = [*w.sync_points, point]
    assert w.sync_points == before


def test_duplicate_ids_are_refused(files) -> None:
    w = widget(files)
    with pytest.raises(AlignmentError, match="twice"):
        w.sync_points = [
            {"id": "a", "track": "front", "data_time": 1.0, "media_time": 1.0},
            {"id": "a", "track": "front", "data_time": 2.0, "media_time": 2.0},
        ]


def test_no_media_no_sync_points() -> None:
    w = TimeSeriesVideo(frame())
    with pytest.raises(AlignmentError, match="no media"):
        w.add_sync_point(1.0, 1.0)


def test_datetime_sync_points_round_trip_to_the_nanosecond_through_the_browser(files) -> None:
    t0 = pd.Timestamp("2024-03-01 12:00:00.123456789", tz="Europe/Paris")
    df = pd.DataFrame({"time": t0 + pd.to_timedelta(np.arange(1000) * 10, unit="ms"), "a": 1.0})
    w = TimeSeriesVideo(df, media=dict(files))
    when = t0 + pd.Timedelta(nanoseconds=1_234_567_891)
    pid = w.add_sync_point(when, 3.5, track="side")
    wire = type(w).sync_points.metadata["to_json"](w.sync_points, w)
    assert wire[0]["data_time"] == pytest.approx(1.234567891)
    w.set_state({"sync_points": wire})
    assert w.sync_points[0]["data_time"] == when
    assert w.sync_points[0]["id"] == pid


def test_the_browser_adds_and_a_refused_point_rolls_back_on_both_sides(files) -> None:
    w = widget(files)
    sent = captured(w)
    w.set_state(
        {"sync_points": [{"id": "b1", "track": "side", "data_time": 4.25, "media_time": 6.5}]}
    )
    assert w.sync_points == [{"id": "b1", "track": "side", "data_time": 4.25, "media_time": 6.5}]
    w.set_state(
        {"sync_points": [{"id": "b2", "track": "nope", "data_time": 1.0, "media_time": 1.0}]}
    )
    assert [p["id"] for p in w.sync_points] == ["b1"]
    assert any(m.get("type") == "rejected" and "nope" in m["error"] for m in sent)


def test_rules_across_traits_name_the_sync_point(files) -> None:
    w = widget(files)
    pid = w.add_sync_point(800.0, 801.0, track="side")
    with pytest.raises(AlignmentError, match=pid):
        w.data = frame(span=100.0)  # the point would be past the end of the data
    assert w.series.span == pytest.approx(900.0)
    with pytest.raises(AlignmentError, match="'side'"):
        w.media = {"front": files["front"], "mic": files["mic"]}
    assert list(w.tracks) == ["front", "side", "mic"]
    with pytest.raises(AlignmentError, match=pid):
        w.time_unit = "ms"  # changes what the data times mean
    assert w.time_unit == "s"
    w.media = {"side": files["side"]}  # the point's track stays
    assert w.sync_points[0]["track"] == "side"


# -- fits -------------------------------------------------------------------------------------
def pts(*pairs: tuple[float, float]) -> list[Point]:
    return [Point(f"p{i}", x, x, y) for i, (x, y) in enumerate(pairs)]


def test_linear_fit_residuals_match_hand_computed_values(files) -> None:
    w = widget(files)
    for x, y in ((0.0, 1.0), (100.0, 101.02 - 0.1), (200.0, 200.98 - 0.2)):
        w.add_sync_point(x, y)
    fit_ = w.fit_alignment(model="linear")
    # By hand: x mean 100, y mean 100.9; slope (100*100 + 0 + 100*99.78) / 20000 = 0.9989
    assert fit_.rate == pytest.approx(0.9989, abs=1e-12)
    assert fit_.offset == pytest.approx(100.9 - 99.89, abs=1e-9)
    assert list(fit_.residuals_ms.columns) == list(RESIDUAL_COLUMNS)
    assert fit_.residuals_ms["residual_ms"].to_numpy() == pytest.approx([-10.0, 20.0, -10.0])
    assert fit_.rms_ms == pytest.approx(math.sqrt(200.0))
    assert fit_.max_ms == pytest.approx(20.0)
    assert fit_.model == "linear"
    assert w.offset is None  # nothing changes until apply


def test_one_point_fits_an_offset_keeping_the_tracks_rate(files) -> None:
    w = widget(files)
    w.tracks["side"].offset = 0.0
    w.tracks["side"].rate = 1.001
    w.add_sync_point(100.0, 103.0, track="side")
    f = w.fit_alignment("side")
    assert (f.model, f.rate) == ("offset", 1.001)
    assert f.offset == pytest.approx(103.0 - 100.1)
    assert f.max_ms == pytest.approx(0.0, abs=1e-9)


def test_auto_picks_the_simplest_model_within_a_frame() -> None:
    # Within a frame of a pure offset: offset, whatever the tiny spread.
    assert fit("t", pts((0, 2.0), (10, 12.03), (20, 21.99)), "auto")[0] == "offset"
    # 1000 ppm drift over 600 s: offset leaves 300 ms, linear fits.
    model, off, rate, knots, res = fit("t", pts((0, 2.0), (300, 302.3), (600, 602.6)), "auto")
    assert (model, knots) == ("linear", None)
    assert rate == pytest.approx(1.001)
    assert off == pytest.approx(2.0)
    # A re-sync half-way: no line fits, the points are consistent: piecewise.
    model, *_, knots, res = fit(
        "t", pts((0, 0.0), (100, 100.0), (200, 200.0), (300, 305.0), (400, 405.0)), "auto"
    )
    assert model == "piecewise"
    assert knots == ((0, 0.0), (100, 100.0), (200, 200.0), (300, 305.0), (400, 405.0))
    assert np.all(res == 0)


def test_undetermined_fits_are_refused_with_the_reason() -> None:
    with pytest.raises(AlignmentError, match="no sync points"):
        fit("t", [], "auto")
    with pytest.raises(AlignmentError, match=r"p0 and p1 are only 1\.000 s apart"):
        fit("t", pts((10, 10.0), (11, 11.5)), "linear")
    with pytest.raises(AlignmentError, match="two sync points"):
        fit("t", pts((10, 10.0)), "linear")
    with pytest.raises(AlignmentError, match="3 or more"):
        fit("t", pts((0, 0.0), (100, 100.0)), "piecewise")
    with pytest.raises(AlignmentError, match="goes back"):
        fit("t", pts((0, 0.0), (100, 100.0), (200, 50.0)), "piecewise")
    # Two points too close and not a pure offset: auto cannot tell a rate either.
    with pytest.raises(AlignmentError, match=r"only 1\.000 s apart"):
        fit("t", pts((10, 10.0), (11, 11.5)), "auto")
    with pytest.raises(AlignmentError, match="model must be"):
        fit("t", pts((10, 10.0)), "cubic")


def test_one_outlier_that_dominates_is_named() -> None:
    good = [(0, 2.0), (150, 152.15), (300, 302.3), (450, 452.45), (600, 602.6)]
    points = pts(*good[:3], (350, 352.35 + 0.9), *good[3:])  # p3: a wrong frame, 900 ms off
    for model in ("linear", "auto"):
        with pytest.raises(AlignmentError, match=r"sync point p3 .*disagrees"):
            fit("t", points, model)
    offsets = pts((0, 5.0), (100, 105.01), (200, 205.7), (300, 304.99))
    with pytest.raises(AlignmentError, match="sync point p2"):
        fit("t", offsets, "offset")


def test_clap_sync_points_give_offset_within_a_frame_and_rate_within_20_ppm(files) -> None:
    """Claps seen on a 25 fps frame and as a spike in a 100 Hz channel, 10 minutes apart."""
    offset, rate = 3.217, 1.000_137
    w = widget(files)
    for clap_frame in (250, 250 + 25 * 600):  # claps at media 10 s and 610 s
        media = clap_frame / FPS  # the first frame showing the clap
        data = (media - offset) / rate
        sample = round(data * 100) / 100  # the spike's sample in the 100 Hz channel
        w.add_sync_point(sample, media)
    f = w.fit_alignment(model="linear")
    assert abs(f.offset - offset) < 1 / FPS
    assert abs(f.rate - rate) < 20e-6
    one = TimeSeriesVideo(frame(), media=dict(files))
    one.add_sync_point(round((10.0 - offset) / rate * 100) / 100, 10.0)
    assert abs(one.fit_alignment().offset - (10.0 - (10.0 - offset) / rate)) < 1 / FPS


# -- apply and undo ---------------------------------------------------------------------------
def test_apply_sets_offset_rate_and_knots_in_one_message_and_undo_restores(files) -> None:
    w = widget(files)
    w.tracks["side"].offset = 1.0
    states: list[dict[str, Any]] = []
    w._send = lambda msg, buffers=None: states.append(msg)  # type: ignore[method-assign]
    for x, y in ((0, 2.0), (300, 302.3), (600, 602.6)):
        w.add_sync_point(float(x), y, track="side")
    states.clear()
    fit_ = w.fit_alignment("side")
    fit_.apply()
    assert w.tracks["side"].offset == pytest.approx(2.0)
    assert w.tracks["side"].rate == pytest.approx(1.001)
    assert w.data_to_media(100.0, track="side") == pytest.approx(102.1)
    updates = [m for m in states if m.get("method") == "update"]
    assert len(updates) == 1  # offset, rate and knots reach the browser together
    assert w._align_undo == [{"track": "side", "offset": 1.0, "rate": 1.0, "knots": None}]
    w.undo_alignment("side")
    assert (w.tracks["side"].offset, w.tracks["side"].rate) == (1.0, 1.0)
    assert w._align_undo == []
    with pytest.raises(AlignmentError, match="no applied alignment"):
        w.undo_alignment("side")


def test_piecewise_fit_applies_knots_to_the_first_track(files) -> None:
    w = widget(files)
    for x, y in ((0, 0.0), (100, 100.0), (200, 200.0), (300, 305.0), (400, 405.0)):
        w.add_sync_point(float(x), y)
    f = w.fit_alignment(model="piecewise")
    f.apply()
    assert w.tracks["front"].knots == (
        (0, 0.0),
        (100, 100.0),
        (200, 200.0),
        (300, 305.0),
        (400, 405.0),
    )
    assert w.data_to_media(250.0) == pytest.approx(252.5)
    assert w.media_to_data(352.5) == pytest.approx(347.5)
    w.apply_alignment(offset=1.5, rate=1.0)  # a plain alignment clears the knots
    assert w.tracks["front"].knots is None
    assert w.data_to_media(250.0) == pytest.approx(251.5)
    w.undo_alignment()
    assert w.data_to_media(250.0) == pytest.approx(252.5)


def test_refused_alignment_changes_nothing(files) -> None:
    w = widget(files)
    w.tracks["side"].offset = 1.0
    for bad in (
        {"offset": math.nan},
        {"offset": 1.0, "rate": 0.0},
        {"offset": 1.0, "knots": [[0, 1]]},
    ):
        with pytest.raises(t.TraitError):
            w.apply_alignment(track="side", **bad)
        assert (w.tracks["side"].offset, w.tracks["side"].rate, w.tracks["side"].knots) == (
            1.0,
            1.0,
            None,
        )
    assert w._align_undo == []


def test_undo_depth_is_bounded(files) -> None:
    w = widget(files)
    for i in range(SPEC["align"]["undo_depth"] + 5):
        w.apply_alignment(offset=float(i), rate=1.0)
    assert len(w._align_undo) == SPEC["align"]["undo_depth"]
    assert w._align_undo[-1]["offset"] == float(SPEC["align"]["undo_depth"] + 3)


# -- the browser's requests --------------------------------------------------------------------
def test_panel_requests_fit_apply_and_undo(files) -> None:
    w = widget(files)
    sent = captured(w)
    a = w.add_sync_point(0.0, 2.0, track="side")
    b = w.add_sync_point(600.0, 602.6, track="side")
    w._protocol.handle(
        {"type": SPEC["align"]["fit"], "id": 1, "track": "side", "model": "auto"}, []
    )
    reply = sent[-1]
    assert (reply["id"], reply["error"]) == (1, None)
    got = reply["fit"]
    assert got["model"] == "linear" and got["rate"] == pytest.approx(1.001)
    assert [r["id"] for r in got["residuals"]] == [a, b]
    w._protocol.handle(
        {
            "type": SPEC["align"]["apply"],
            "id": 2,
            "track": "side",
            "offset": got["offset"],
            "rate": got["rate"],
            "knots": got["knots"],
        },
        [],
    )
    assert sent[-1] == {"type": SPEC["align"]["apply"], "id": 2, "error": None}
    assert w.tracks["side"].rate == pytest.approx(1.001)
    w._protocol.handle({"type": SPEC["align"]["undo"], "id": 3, "track": "side"}, [])
    assert sent[-1]["error"] is None
    assert w.tracks["side"].offset is None
    w._protocol.handle({"type": SPEC["align"]["undo"], "id": 4, "track": "side"}, [])
    assert "no applied alignment" in sent[-1]["error"]
    w._protocol.handle({"type": SPEC["align"]["fit"], "id": 5, "track": "mic"}, [])
    assert "no sync points" in sent[-1]["error"] and sent[-1]["id"] == 5
    w._protocol.handle(
        {"type": SPEC["align"]["apply"], "id": 6, "track": "side", "offset": "x", "rate": 1},
        [],
    )
    assert sent[-1]["error"] and w.tracks["side"].offset is None


# -- suggestions through the widget ------------------------------------------------------------
@pytest.fixture(scope="module")
def audio_case(tmp_path_factory: pytest.TempPathFactory) -> Any:
    import alignkit  # tests/ is on the path (pytest rootdir conftest-free import)

    return alignkit.make_audio_case(
        tmp_path_factory.mktemp("wsug") / "a", seconds=60.0, offset=-2.468
    )


def test_suggest_alignment_rows_apply_themselves_and_undo(audio_case: Any) -> None:
    from tsvideo_widget.suggest import LOW_CONFIDENCE
    from tsvideo_widget.suggestions import COLUMNS, Suggestions

    df = pd.DataFrame({"time": audio_case.rel_times, "contact": audio_case.values})
    w = TimeSeriesVideo(df, media={"mic": str(audio_case.media)})
    w.tracks["mic"].offset = 0.0
    sug = w.suggest_alignment("mic", channel="contact", method="audio", progress=False)
    assert isinstance(sug, Suggestions) and list(sug.columns) == list(COLUMNS)
    best = sug.iloc[0]
    assert abs(best["offset"] - audio_case.offset) < 0.005
    assert best["confidence"] >= LOW_CONFIDENCE and not best["low"]
    assert list(sug["confidence"]) == sorted(sug["confidence"], reverse=True)
    assert (sug["low"] == (sug["confidence"] < LOW_CONFIDENCE)).all()
    best.apply()
    assert w.tracks["mic"].offset == pytest.approx(best["offset"])
    assert w.tracks["mic"].rate == pytest.approx(best["rate"])
    assert sug["offset"].apply(lambda v: v * 0).tolist() == [0.0] * len(sug)  # pandas' own
    w.undo_alignment("mic")
    assert (w.tracks["mic"].offset, w.tracks["mic"].rate) == (0.0, 1.0)
    with pytest.raises(AlignmentError, match="no channel 'nope'"):
        w.suggest_alignment("mic", channel="nope", progress=False)
    with pytest.raises(AlignmentError, match="method must be"):
        w.suggest_alignment("mic", channel="contact", method="smell", progress=False)
    with pytest.raises(AlignmentError, match="lo < hi"):
        w.suggest_alignment("mic", channel="contact", search=(5, -5), progress=False)


def test_suggest_request_answers_from_a_worker_thread(audio_case: Any) -> None:
    import threading

    df = pd.DataFrame({"time": audio_case.rel_times, "contact": audio_case.values})
    w = TimeSeriesVideo(df, media={"mic": str(audio_case.media)})
    done = threading.Event()
    sent: list[dict[str, Any]] = []

    def send(msg: dict[str, Any], buffers: Any = None) -> None:
        sent.append({**msg, "_buffers": buffers})
        done.set()

    w.send = send  # type: ignore[method-assign]
    req = {
        "type": SPEC["align"]["suggest"],
        "id": 9,
        "track": "mic",
        "channel": "contact",
        "method": "audio",
        "search": [-10, 10],
    }
    w._protocol.handle(req, [])
    assert done.wait(60), "no reply to the suggest request"
    reply = sent[0]
    assert (reply["id"], reply["error"]) == (9, None)
    assert abs(reply["candidates"][0]["offset"] - audio_case.offset) < 0.005
    done.clear()
    sent.clear()
    w._protocol.handle({"type": SPEC["align"]["feature"], "id": 10, "track": "mic"}, [])
    assert done.wait(60), "no reply to the feature request"
    reply = sent[0]
    assert reply["error"] is None and reply["method"] == "audio"
    assert reply["points"] > 1000 and reply["dt"] == pytest.approx(0.001)
    assert len(reply["_buffers"]) == 1
