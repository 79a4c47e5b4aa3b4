"""The widget's promises under random sequences of changes (a hypothesis state machine).

One widget on small data (float seconds, integer epoch nanoseconds, or zoned
datetimes with nanosecond offsets) autosaves to a temporary .csv or .json file.
The machine changes it every way there is: region methods, ``regions``
assigned whole, the browser's ``set_state`` (through JSON) and ``edit``
messages (re-sent too), ``labels``, ``channels``, ``time_unit`` and ``data``,
exports and round trips, a second widget or program writing the file,
``autosave`` detached, re-attached and moved. It keeps a model of the regions
and checks, after every step:

* memory equals the model, exactly (types, zones, -0.0, big ints);
* the file holds memory (a new widget on the path loads it, and opening it
  does not rewrite it), unless someone else wrote it, in which case it is
  left exactly as they wrote it;
* a refused step changed nothing: every public trait, the file's bytes and
  identity, the browser's edit sequence numbers.

The plain tests at the end pin down, one at a time, the bugs the machine found.

``TSV_EXAMPLES`` and ``TSV_STEPS`` (default 25 runs of 30 steps per kind of time) search longer;
``TSV_SHRINK=1`` shrinks a failure to its shortest form (minutes, so off by default: a
failure is reported as the whole sequence of steps that found it).
"""

from __future__ import annotations

import copy
import decimal
import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

import hypothesis.strategies as st
import numpy as np
import pandas as pd
import pytest
import traitlets
from hypothesis import HealthCheck, Phase, event, settings
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)
from trustkit import (
    UNIT,
    Sent,
    canon,
    canon_time,
    file_state,
    frame,
    js_numbers,
    own_times,
    show,
    temp_files,
    through_json,
)

from tsvideo_widget import TimeSeriesVideo, labelfiles
from tsvideo_widget.data import TIME_UNITS
from tsvideo_widget.errors import AutosaveError

# Same length: an outside edit that swaps two of them keeps the file's size.
LABELS = ["Run", "Hop", "Sit"]
LABEL_CHOICES: list[Any] = [
    LABELS,
    [*LABELS, "Fly"],
    ["Run"],
    ["Hop", "Sit"],
    None,
    {"Run": "red", "Hop": "#00f", "Sit": None},
]
CHANNELS = ["ax", "ay"]
CHANNEL_CHOICES: list[Any] = [None, ["ax"], ["ay"], ["ay", "ax"], ["nope"]]
UNITS = {"float": ["s", "ms"], "int": ["ns", "us"], "datetime": ["s", "ms"]}
EXACT_UNITS = {"ns": Fraction(1, 10**9), "us": Fraction(1, 10**6), "ms": Fraction(1, 1000)}
EXACT_UNITS.update({"s": Fraction(1), "min": Fraction(60), "h": Fraction(3600)})
FRAMES = {
    "float": {"full": {}, "short": {"n": 64}, "long": {"n": 256}},
    "int": {"full": {}, "short": {"n": 64}, "long": {"n": 256}},
    "datetime": {
        "full": {},
        "short": {"n": 64},
        "long": {"n": 256},
        "full_utc": {"tz": "UTC"},
        "short_utc": {"n": 64, "tz": "UTC"},
    },
}
# Offsets between samples (less than a sample step) and beyond the data's ends.
INSIDE = {
    "float": [1 / 256, 1 / 128, 3 / 256],
    "int": [1, 7, 999_999],
    "datetime": [pd.Timedelta(n, "ns") for n in (1, 7, 999_999)],
}
OUTSIDE = {
    "float": [1 / 64, 1.0],
    "int": [1, 10**9],
    "datetime": [pd.Timedelta(1, "ns"), pd.Timedelta(1, "s")],
}

# -- meta values: everything JSON holds, with the strings spreadsheets mangle ----------------

TRICKY = ["007", "True", "true", "", "\r\n", "\n", " x ", "NA", "null", "None", "1e5", "-0", ","]
TRICKY += ['"', "a,b", "\x00", "é", "日本", "=1+1", "nan", "1.0"]
BIG_INTS = [2**53 + 1, -(2**63), 2**64, 10**30, -(10**40)]
json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.sampled_from(BIG_INTS),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([-0.0, 5e-324, 1.7976931348623157e308, 0.1]),
    st.sampled_from(TRICKY),
    st.text(max_size=6),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.text(max_size=4) | st.sampled_from(TRICKY), inner, max_size=3)
    ),
    max_leaves=6,
)
# Not a column of to_dataframe() nor a parameter of add_region().
RESERVED = {"id", "label", "channel", "start", "end", "duration", "media_start", "media_end"}
meta_keys = st.sampled_from(
    ["note", "n", "007", "True", "x y", "a,b", 'q"t', "nl\nkey", "meta", "meta:x", "k:json"]
) | st.text(min_size=1, max_size=6).filter(lambda k: k not in RESERVED | {"self"})
metas = st.dictionaries(meta_keys, json_values, max_size=3)
BAD_META: list[Any] = [
    {1, 2},
    (1, 2),
    b"x",
    float("nan"),
    float("inf"),
    pd.Timestamp("2024-01-01"),
    np.arange(2),
    decimal.Decimal("1.5"),
    1j,
    {1: "a"},
    [1, {2}],
    {"a": float("-inf")},
    object(),
]


class WidgetMachine(RuleBasedStateMachine):
    """A widget with autosave, changed at random, against a model of its regions."""

    KIND = "float"

    # -- set up ------------------------------------------------------------------------------

    @initialize(data=st.data())
    def start(self, data: st.DataObject) -> None:
        self.dir = tempfile.mkdtemp(prefix="tsv-machine-")
        self.frames = {name: frame(self.KIND, **kw) for name, kw in FRAMES[self.KIND].items()}
        self.data_name = "full"
        self.time_unit = UNIT[self.KIND]
        self.channels: list[str] | None = None
        self.labels: Any = list(LABELS)
        self.n = 0  # for fresh ids and file names
        fmt = data.draw(st.sampled_from(["csv", "json"]), label="format")
        self.path = os.path.join(self.dir, f"labels.{fmt}")
        self.old_paths: list[tuple[str, list[dict[str, Any]], str]] = []  # path, regions, unit
        self.pending: bytes | None = None  # the file's bytes while someone else's edit is pending
        self.pending_regions: list[dict[str, Any]] | None = None
        self.pending_unit = self.time_unit  # the unit the pending file's numbers are in
        self.last_seq = {"c1": 0, "c2": 0}
        self.region_seq: dict[str, dict[str, int]] = {"c1": {}, "c2": {}}
        self.next_seq = {"c1": 0, "c2": 0}
        self.history: list[dict[str, Any]] = []
        self.widgets: list[TimeSeriesVideo] = []
        initial = [
            self.draw_region(data, rid=self.fresh("i")) for _ in range(data.draw(st.integers(0, 2)))
        ]
        self.w = TimeSeriesVideo(
            self.frame,
            labels=list(LABELS),
            time_unit=self.time_unit,
            autosave=self.path,
            regions=copy.deepcopy(initial) or None,
        )
        self.model = initial
        self.sent = Sent(self.w)

    def teardown(self) -> None:
        for w in [getattr(self, "w", None), *getattr(self, "widgets", [])]:
            if w is not None:
                w.close()
        if hasattr(self, "dir"):
            shutil.rmtree(self.dir, ignore_errors=True)

    # -- the machine's view of the widget ------------------------------------------------------

    @property
    def frame(self) -> pd.DataFrame:
        return self.frames[self.data_name]

    @property
    def times(self) -> list[Any]:
        return own_times(self.frame)

    def label_names(self, labels: Any = "now") -> list[str] | None:
        labels = self.labels if labels == "now" else labels
        return None if labels is None else list(labels)

    def channel_names(self, channels: Any = "now") -> list[str]:
        channels = self.channels if channels == "now" else channels
        return list(CHANNELS) if channels is None else list(channels)

    def fresh(self, prefix: str) -> str:
        self.n += 1
        return f"{prefix}{self.n}"

    def valid(
        self,
        regions: list[dict[str, Any]],
        labels: Any = "now",
        channels: Any = "now",
        times: list[Any] | None = None,
    ) -> bool:
        """The oracle: each region inside the data (exactly), with a known label and channel."""
        times = self.times if times is None else times
        names = self.label_names(labels)
        chans = self.channel_names(channels)
        ids = [r["id"] for r in regions]
        return len(set(ids)) == len(ids) and all(
            (names is None or r["label"] in names)
            and isinstance(r["label"], str)
            and r["label"] != ""
            and (r["channel"] is None or r["channel"] in chans)
            and times[0] <= r["start"] <= r["end"] <= times[-1]
            for r in regions
        )

    def here(self, regions: list[dict[str, Any]], unit: str) -> list[dict[str, Any]] | None:
        """Regions a file recorded in ``unit`` (or another zone), in the current data's terms:
        the same instants, numbers converted exactly; None when an integer would not be whole."""
        if self.KIND == "datetime":
            tz = self.times[0].tz
            return [
                {**r, "start": r["start"].tz_convert(tz), "end": r["end"].tz_convert(tz)}
                for r in regions
            ]
        ratio = EXACT_UNITS[unit] / EXACT_UNITS[self.time_unit]
        out = []
        for r in regions:
            q = {k: Fraction(r[k]) * ratio for k in ("start", "end")}
            if self.KIND == "int" and any(v.denominator != 1 for v in q.values()):
                return None
            cast = int if self.KIND == "int" else float
            out.append({**r, **{k: cast(v) for k, v in q.items()}})
        return out

    def scratch(self, **kw: Any) -> TimeSeriesVideo:
        """A widget on the same configuration (no autosave unless given)."""
        w = TimeSeriesVideo(
            self.frame,
            time_unit=self.time_unit,
            channels=copy.deepcopy(self.channels),
            labels=copy.deepcopy(self.labels),
            **kw,
        )
        self.widgets.append(w)
        return w

    def snap(self, identity: bool = True) -> dict[str, Any]:
        """Everything a refused step must leave as it was (with the file's inode and mtime
        unless ``identity`` is False: then its bytes only)."""
        w = self.w
        out: dict[str, Any] = {}
        for name in w.trait_names():
            if name in ("comm", "log", "keys", "_overview"):
                continue
            v = getattr(w, name)
            if name == "data":
                out[name] = id(v)
            elif name == "regions":
                out[name] = canon(v)
            elif name == "selection":
                out[name] = None if v is None else tuple(canon_time(x) for x in v)
            else:
                out[name] = (type(v).__name__, repr(v))
        out["file"] = file_state(self.path) if identity else Path(self.path).read_bytes()
        out["temps"] = temp_files(self.dir)
        out["edit_seq"] = dict(w._protocol._edit_seq)
        return out

    def saving(self, regions: list[dict[str, Any]] | None, valid: bool = True) -> bool | None:
        """Whether a change of the regions to ``regions`` must be accepted (True), refused
        (False), or may be either (None: no change, so no write, while the file is someone
        else's)."""
        if not valid or regions is None:
            return False
        if self.pending is None:
            return True
        return None if canon(regions) == canon(self.model) else False

    def attempt(
        self,
        action: Callable[[], Any],
        ok: bool | None,
        errors: type[BaseException] | tuple[type[BaseException], ...] = traitlets.TraitError,
    ) -> tuple[bool, Any]:
        """Run ``action``: it must succeed (ok), be refused changing nothing (not ok), or either
        (None). Returns whether it succeeded and its result."""
        step = sys._getframe(1).f_code.co_name
        before = self.snap()
        if ok:
            event(f"{step}: accepted")
            return True, action()
        try:
            result = action()
        except errors:
            after = self.snap()
            assert after == before, "a refused step changed the widget or the file"
            event(f"{step}: refused")
            return False, None
        assert ok is None, f"{step} was accepted, expected a refusal"
        event(f"{step}: accepted")
        return True, result

    # -- times and regions ---------------------------------------------------------------------

    def draw_time(self, data: st.DataObject, times: list[Any] | None = None) -> Any:
        times = self.times if times is None else times
        i = data.draw(st.integers(0, len(times) - 1))
        t = times[i]
        if i < len(times) - 1 and data.draw(st.booleans()):
            t = t + data.draw(st.sampled_from(INSIDE[self.KIND]))
        return t

    def draw_span(self, data: st.DataObject) -> tuple[Any, Any]:
        a = self.draw_time(data)
        b = a if data.draw(st.booleans()) else self.draw_time(data)
        return (a, b) if a <= b else (b, a)

    def draw_region(
        self, data: st.DataObject, rid: Any = None, meta: bool = True
    ) -> dict[str, Any]:
        a, b = self.draw_span(data)
        return {
            "id": rid,
            "start": a,
            "end": b,
            "label": data.draw(st.sampled_from(self.label_names() or [*LABELS, "Fly"])),
            "channel": data.draw(st.sampled_from([None, *self.channel_names()])),
            "meta": data.draw(metas) if meta else {},
        }

    def draw_outside(self, data: st.DataObject) -> tuple[Any, Any]:
        times = self.times
        d = data.draw(st.sampled_from(OUTSIDE[self.KIND]))
        if data.draw(st.booleans()):
            return times[0] - d, times[0]
        return times[-1], times[-1] + d

    def alt_time(self, data: st.DataObject, t: Any) -> Any:
        """The same time written another way a caller might."""
        if self.KIND == "datetime":
            return data.draw(
                st.sampled_from([t, t.tz_convert("UTC"), t.tz_convert("Asia/Tokyo"), t.isoformat()])
            )
        if self.KIND == "int":
            return data.draw(st.sampled_from([t, np.int64(t)]))
        alts = [t, np.float64(t)] + ([int(t)] if float(t).is_integer() else [])
        return data.draw(st.sampled_from(alts))

    def wire(self, r: dict[str, Any]) -> dict[str, Any]:
        """A region as the browser holds it (meta through JavaScript's numbers)."""
        s = self.w.series
        return {
            "id": r["id"],
            "start": s.to_rel(r["start"]),
            "end": s.to_rel(r["end"]),
            "label": r["label"],
            "channel": r["channel"],
            "meta": js_numbers(r["meta"]),
        }

    def from_rel(self, rel: float, old: Any = None) -> Any:
        """What the browser's relative seconds must become: an unmoved edge stays bit-identical,
        datetimes go to the nearest nanosecond, integers to the nearest integer."""
        if old is not None and rel == self.w.series.to_rel(old):
            return old
        t0 = self.times[0]
        if self.KIND == "datetime":
            return t0 + pd.Timedelta(round(rel * 1e9), "ns")
        if self.KIND == "int":
            return t0 + round(rel / TIME_UNITS[self.time_unit])
        return t0 + rel / TIME_UNITS[self.time_unit]

    def draw_moved_edge(self, data: st.DataObject) -> tuple[float, Any]:
        """A time for a browser edit: its relative seconds and what it must become."""
        t = self.draw_time(data)
        rel = self.w.series.to_rel(t)
        own = self.from_rel(rel)
        if not self.times[0] <= own <= self.times[-1]:
            # Float noise at an end of the data (not a whole number of seconds): an inner sample.
            t = self.times[1]
            rel = self.w.series.to_rel(t)
            own = self.from_rel(rel)
        return rel, own

    # -- region methods ------------------------------------------------------------------------

    @rule(data=st.data())
    def add_region(self, data: st.DataObject) -> None:
        r = self.draw_region(data)
        ok, rid = self.attempt(
            lambda: self.w.add_region(
                r["start"], r["end"], r["label"], r["channel"], **copy.deepcopy(r["meta"])
            ),
            self.pending is None,  # a new region: always a write
            AutosaveError,
        )
        if ok:
            assert isinstance(rid, str) and rid not in [m["id"] for m in self.model]
            self.model = [*self.model, {**r, "id": rid}]

    @rule(
        data=st.data(),
        how=st.sampled_from(["reversed", "label", "channel", "outside", "meta", "meta_key"]),
    )
    def add_invalid_region(self, data: st.DataObject, how: str) -> None:
        r = self.draw_region(data)
        meta: dict[Any, Any] = copy.deepcopy(r["meta"])
        if how == "reversed":
            times = self.times
            i = data.draw(st.integers(0, len(times) - 2))
            a = times[i]
            b = a + data.draw(st.sampled_from(INSIDE[self.KIND]))
            r["start"], r["end"] = b, a
        elif how == "label":
            r["label"] = "Nope" if self.labels is not None else data.draw(st.sampled_from(["", 5]))
        elif how == "channel":
            r["channel"] = data.draw(st.sampled_from(["az", "", 3]))
        elif how == "outside":
            r["start"], r["end"] = self.draw_outside(data)
        elif how == "meta":
            meta[data.draw(meta_keys)] = data.draw(st.sampled_from(BAD_META))
        else:
            meta = {data.draw(st.sampled_from(["", "duration", "media_start"])): 1}
        self.attempt(
            lambda: self.w.add_region(r["start"], r["end"], r["label"], r["channel"], **meta),
            False,
        )

    @rule(data=st.data())
    def remove_region(self, data: st.DataObject) -> None:
        ids = [r["id"] for r in self.model]
        if ids and data.draw(st.booleans()):
            rid = data.draw(st.sampled_from(ids))
            ok, _ = self.attempt(
                lambda: self.w.remove_region(rid), self.pending is None, AutosaveError
            )
            if ok:
                self.model = [r for r in self.model if r["id"] != rid]
        else:
            self.attempt(lambda: self.w.remove_region("no-such-id"), False, KeyError)

    @rule(
        data=st.data(),
        broken=st.sampled_from([None, None, "duplicate", "invalid", "not a dict", "not a list"]),
    )
    def assign_regions(self, data: st.DataObject, broken: str | None) -> None:
        kept = (
            data.draw(st.lists(st.sampled_from(self.model), unique_by=lambda r: r["id"]))
            if self.model
            else []
        )
        new = [
            self.draw_region(data, rid=self.fresh("a")) for _ in range(data.draw(st.integers(0, 2)))
        ]
        expected = data.draw(st.permutations(kept + new))
        given = []
        for r in expected:
            g = {
                **r,
                "start": self.alt_time(data, r["start"]),
                "end": self.alt_time(data, r["end"]),
            }
            g["meta"] = copy.deepcopy(r["meta"])
            if r["channel"] is None and data.draw(st.booleans()):
                del g["channel"]  # missing means None
            if not r["meta"] and data.draw(st.booleans()):
                del g["meta"]  # missing means {}
            given.append(g)
        if broken == "duplicate" and given:
            given.append(copy.deepcopy(given[0]))
        elif broken == "invalid":
            bad = self.draw_region(data, rid=self.fresh("b"))
            bad["start"], bad["end"] = self.draw_outside(data)
            given.insert(data.draw(st.integers(0, len(given))), bad)
        elif broken == "not a dict":
            given.append(["id", "x"])
        elif broken == "not a list":
            given = data.draw(st.sampled_from([None, {"0": given}, "regions"]))
        ok = broken is None or (broken == "duplicate" and not given)
        done, _ = self.attempt(lambda: setattr(self.w, "regions", given), self.saving(expected, ok))
        if done:
            self.model = list(expected)

    # -- the browser ---------------------------------------------------------------------------

    @rule(data=st.data())
    def browser_state(self, data: st.DataObject) -> None:
        """``set_state`` with what the browser sends: regions, selection, rate, window."""
        payload: dict[str, Any] = {}
        expected = self.model
        ok = True
        regions_same = True
        if data.draw(st.booleans(), label="regions"):
            how = data.draw(
                st.sampled_from(["same", "move", "add", "drop", "relabel"])
                | st.sampled_from(["reversed", "outside", "label", "duplicate", "nonsense"])
                | st.sampled_from(["start is text", "not a list", "id is a list"]),
                label="regions change",
            )
            wire = [self.wire(r) for r in self.model]
            expected = [dict(r) for r in self.model]
            if how in ("move", "reversed") and self.model:
                i = data.draw(st.integers(0, len(self.model) - 1))
                edge = data.draw(st.sampled_from(["start", "end"]))
                rel, _ = self.draw_moved_edge(data)
                wire[i][edge] = rel
                expected[i] = {**expected[i], edge: self.from_rel(rel, self.model[i][edge])}
                if how == "reversed":
                    other = "end" if edge == "start" else "start"
                    wire[i][other] = rel + (-1.0 if other == "end" else 1.0)
                    ok = False
            elif how == "add":
                r = self.draw_region(data, rid=self.fresh("w"), meta=False)
                w = self.wire(r)
                del w["meta"]  # the browser never sends meta
                (sa, a), (sb, b) = sorted([self.draw_moved_edge(data), self.draw_moved_edge(data)])
                w["start"], w["end"] = sa, sb
                at = data.draw(st.integers(0, len(wire)))
                wire.insert(at, w)
                expected.insert(at, {**r, "start": a, "end": b})
            elif how == "drop" and self.model:
                i = data.draw(st.integers(0, len(self.model) - 1))
                del wire[i], expected[i]
            elif how == "relabel" and self.model:
                i = data.draw(st.integers(0, len(self.model) - 1))
                label = data.draw(st.sampled_from(self.label_names() or ["Fly"]))
                wire[i]["label"] = label
                expected[i] = {**expected[i], "label": label}
            elif how == "outside":
                r = self.draw_region(data, rid=self.fresh("w"), meta=False)
                w = {**self.wire(r), "end": self.w.series.span + 0.5}
                wire.append(w)
                ok = False
            elif how == "label":
                r = self.draw_region(data, rid=self.fresh("w"), meta=False)
                wire.append({**self.wire(r), "label": "Nope" if self.labels is not None else ""})
                ok = False
            elif how == "duplicate" and wire:
                wire.append(dict(wire[0]))
                ok = False
            elif how == "nonsense":
                wire = "nonsense"  # type: ignore[assignment]
                ok = False
            elif how == "start is text":
                r = self.draw_region(data, rid=self.fresh("w"), meta=False)
                wire.append({**self.wire(r), "start": "soon"})
                ok = False
            elif how == "not a list":
                wire = {"0": wire}  # type: ignore[assignment]
                ok = False
            elif how == "id is a list":
                r = self.draw_region(data, rid=self.fresh("w"), meta=False)
                wire.append({**self.wire(r), "id": [r["id"]]})
                ok = False
            payload["regions"] = wire
            regions_same = ok and canon(expected) == canon(self.model)
            ok = ok and self.valid(expected)
        span = self.w.series.span
        if data.draw(st.booleans(), label="selection"):
            good = data.draw(st.booleans())
            if good:
                a, b = sorted(data.draw(st.lists(st.integers(0, 8), min_size=2, max_size=2)))
                payload["selection"] = [span * a / 8, span * b / 8]
            else:
                payload["selection"] = data.draw(
                    st.sampled_from(
                        [[span, 0.0], [0.0, span + 1.0], [-1.0, 0.0], ["a", "b"], [1.0]]
                    )
                )
                ok = False
        for name, goods, bads in [
            ("rate", [0.5, 2.0, 1.0], [0, -1.0, "fast", float("inf")]),
            ("window", [1.0, 7.5], [0, -2.0, "wide", float("nan")]),
        ]:
            if data.draw(st.booleans(), label=name):
                good = data.draw(st.booleans())
                payload[name] = data.draw(st.sampled_from(goods if good else bads))
                ok = ok and good
        if not payload:
            return
        order = data.draw(st.permutations(list(payload)))
        payload = {k: payload[k] for k in order}
        if self.pending is not None and "regions" in payload:
            # The file changed under the widget: a region change cannot be saved.
            ok = None if (ok and regions_same) else False  # type: ignore[assignment]
        # A refused key after an accepted region change: the widget writes the regions and then
        # puts memory back on disk, so the file's bytes (not its mtime) are what must not change.
        before = self.snap(identity=False)
        self.sent.clear()
        self.w.set_state(through_json(payload))
        # set_state answers a refusal instead of raising it: look at what the browser got.
        rejected = [m for m in self.sent.msgs if m.get("type") == "rejected"]
        if ok is None:
            ok = not rejected
        event(f"browser_state: {'accepted' if ok else 'refused'}")
        if not ok:
            assert rejected and rejected[-1]["error"], f"not refused: {payload}"
            assert self.snap(identity=False) == before, "a refused browser change changed something"
            assert sorted(self.sent.states[-1]) == sorted(k for k in payload if k in self.w.keys)
            return
        assert not rejected, rejected
        self.model = expected
        if "selection" in payload and not {"rate", "window"} & set(payload):
            # (A new rate or window moves a selection the user has not picked, as it should.)
            s = self.w.series
            a, b = payload["selection"]
            assert [canon_time(x) for x in self.w.selection] == [
                canon_time(s.from_rel(a)),
                canon_time(s.from_rel(b)),
            ]
        for name in ("rate", "window"):
            if name in payload:
                assert getattr(self.w, name) == payload[name]

    def send_edit(self, msg: dict[str, Any]) -> None:
        """Send an ``edit`` message and check the reply and the state against the oracle."""
        client = msg["client"]
        last = self.last_seq[client]
        done = self.region_seq[client]
        # An op counts unless its region already got it, or a later op, from this client:
        # a late or re-sent message adds what no later op touched, never undoes a later one.
        fresh = [op for op in msg["ops"] if op["seq"] > done.get(op["id"], 0)]
        expected: list[dict[str, Any]] | None = [dict(r) for r in self.model]
        for op in fresh:
            expected = self.apply_op(expected, op)
            if expected is None:
                break
        ok: bool | None = expected is not None and self.valid(expected)
        if ok and self.pending is not None:
            ok = None if canon(expected) == canon(self.model) else False  # type: ignore[arg-type]
        if not fresh:
            ok = True
        before = self.snap()
        self.sent.clear()
        self.w._protocol.handle(through_json(msg), [])
        replies = [m for m in self.sent.msgs if m.get("type") == "edit"]
        assert len(replies) == 1, self.sent.msgs
        reply = replies[0]
        assert reply["id"] == msg["id"]
        if ok is None:
            ok = reply["error"] is None
        event(f"edit: {'nothing new' if not fresh else 'accepted' if ok else 'refused'}")
        top = max([last, *(op["seq"] for op in msg["ops"])])
        if not fresh:
            assert reply == {"type": "edit", "id": msg["id"], "error": None, "seq": top}
            assert {k: v for k, v in self.snap().items() if k != "edit_seq"} == {
                k: v for k, v in before.items() if k != "edit_seq"
            }
            self.last_seq[client] = top
        elif ok:
            assert reply == {"type": "edit", "id": msg["id"], "error": None, "seq": top}, reply
            assert expected is not None
            self.model = expected
            self.last_seq[client] = top
            for op in fresh:
                done[op["id"]] = max(done.get(op["id"], 0), op["seq"])
        else:
            assert reply["error"] and reply["seq"] == last, reply
            assert self.snap() == before, "a refused edit changed the widget or the file"
            assert self.sent.states and self.sent.states[-1] == ["regions"]

    def apply_op(
        self, regions: list[dict[str, Any]], op: dict[str, Any]
    ) -> list[dict[str, Any]] | None:
        """The oracle of one edit operation; None for one that must be refused."""
        rid, new = op["id"], op["region"]
        at = next((i for i, r in enumerate(regions) if r["id"] == rid), None)
        if new is None:
            return [r for r in regions if r["id"] != rid]
        if new.get("id") != rid or not all(isinstance(new.get(k), float) for k in ("start", "end")):
            return None
        old = regions[at] if at is not None else None
        merged = {
            "id": rid,
            "start": self.from_rel(new["start"], old and old["start"]),
            "end": self.from_rel(new["end"], old and old["end"]),
            "label": new["label"],
            "channel": new["channel"],
            # The browser's meta is ignored for a known region (JavaScript rounds big ints).
            "meta": old["meta"] if old is not None else new.get("meta", {}),
        }
        out = list(regions)
        if at is None:
            out.append(merged)
        else:
            out[at] = merged
        return out

    @rule(data=st.data())
    def edit(self, data: st.DataObject) -> None:
        """An ``edit`` message from one browser client: puts and removes, valid or not."""
        client = data.draw(st.sampled_from(["c1", "c2"]))
        ops: list[dict[str, Any]] = []
        if data.draw(st.booleans()):
            # Operations sent before, re-sent ahead of new ones: applied ones are skipped,
            # refused ones are tried (and refused) again.
            ops += [
                op
                for m in self.history
                if m["client"] == client
                for op in m["ops"]
                if op["seq"] <= self.last_seq[client]
            ][-2:]
        untouched = [r["id"] for r in self.model]  # regions this message has not changed yet
        for _ in range(data.draw(st.integers(1, 3))):
            self.next_seq[client] = max(self.next_seq[client], self.last_seq[client]) + 1
            seq = self.next_seq[client]
            how = data.draw(
                st.sampled_from(["put", "move", "relabel", "remove", "remove unknown"])
                if data.draw(st.integers(0, 4))
                else st.sampled_from(["reversed", "outside", "label", "other id", "start is text"])
            )
            if how in ("move", "relabel", "remove") and untouched:
                rid = data.draw(st.sampled_from(untouched))
                untouched.remove(rid)
                old = next(r for r in self.model if r["id"] == rid)
                w = self.wire(old)
                if data.draw(st.booleans()):
                    del w["meta"]  # the browser never sends meta; if it did, it is ignored
                if how == "move":
                    edge = data.draw(st.sampled_from(["start", "end"]))
                    w[edge] = self.draw_moved_edge(data)[0]
                    if w["start"] > w["end"]:
                        w["start"], w["end"] = w["end"], w["start"]
                elif how == "relabel":
                    w["label"] = data.draw(st.sampled_from(self.label_names() or ["Fly"]))
                ops.append({"seq": seq, "id": rid, "region": None if how == "remove" else w})
                continue
            if how == "remove unknown":
                ops.append({"seq": seq, "id": "gone", "region": None})
                continue
            r = self.draw_region(data, rid=self.fresh("e"), meta=False)
            w = self.wire(r)
            del w["meta"]
            (w["start"], _), (w["end"], _) = sorted(
                [self.draw_moved_edge(data), self.draw_moved_edge(data)]
            )
            if how == "reversed":
                w["start"], w["end"] = w["end"] + 0.25, w["start"]
            elif how == "outside":
                w["end"] = self.w.series.span + 0.5
            elif how == "label":
                w["label"] = "Nope" if self.labels is not None else ""
            elif how == "other id":
                w["id"] = "someone-else"
            elif how == "start is text":
                w["start"] = "soon"
            ops.append({"seq": seq, "id": r["id"], "region": w})
        self.n += 1
        msg = {"type": "edit", "id": self.n, "client": client, "ops": ops}
        self.history.append(msg)
        self.send_edit(msg)

    @precondition(lambda self: bool(self.history))
    @rule(data=st.data())
    def resend_edit(self, data: st.DataObject) -> None:
        """A message sent again (its reply was lost): only operations not yet applied count."""
        msg = data.draw(st.sampled_from(self.history))
        self.n += 1
        self.send_edit({**msg, "id": self.n})

    # -- configuration -------------------------------------------------------------------------

    @rule(choice=st.sampled_from(LABEL_CHOICES))
    def set_labels(self, choice: Any) -> None:
        ok = self.valid(self.model, labels=choice)
        done, _ = self.attempt(lambda: setattr(self.w, "labels", copy.deepcopy(choice)), ok)
        if done:
            self.labels = copy.deepcopy(choice)

    @rule(choice=st.sampled_from(CHANNEL_CHOICES))
    def set_channels(self, choice: Any) -> None:
        ok: bool | None = choice != ["nope"] and self.valid(self.model, channels=choice)
        if ok and self.pending is not None:
            ok = None  # no region changes, but the widget may want to save: refuse or accept
        done, _ = self.attempt(lambda: setattr(self.w, "channels", copy.deepcopy(choice)), ok)
        if done:
            self.channels = copy.deepcopy(choice)

    @rule(data=st.data())
    def set_time_unit(self, data: st.DataObject) -> None:
        unit = data.draw(st.sampled_from(UNITS[self.KIND]))
        # Numbers would change meaning; datetimes do not depend on time_unit.
        ok: bool | None = self.KIND == "datetime" or not self.model or unit == self.time_unit
        if ok and self.pending is not None:
            ok = None
        done, _ = self.attempt(lambda: setattr(self.w, "time_unit", unit), ok)
        if done:
            self.time_unit = unit
        assert canon(self.w.regions) == canon(self.model), "time_unit changed the regions"

    @rule(data=st.data())
    def set_data(self, data: st.DataObject) -> None:
        name = data.draw(st.sampled_from(sorted(self.frames)))
        df = self.frames[name]
        times = own_times(df)
        ok: bool | None = self.valid(self.model, times=times)
        if ok and self.pending is not None:
            ok = None
        done, _ = self.attempt(lambda: setattr(self.w, "data", df), ok)
        if done:
            self.data_name = name
            if self.KIND == "datetime":
                tz = times[0].tz
                self.model = [
                    {**r, "start": r["start"].tz_convert(tz), "end": r["end"].tz_convert(tz)}
                    for r in self.model
                ]

    # -- files, tables, Label Studio -----------------------------------------------------------

    @rule(fmt=st.sampled_from(["csv", "json"]), replace=st.booleans())
    def export_and_load(self, fmt: str, replace: bool) -> None:
        path = os.path.join(self.dir, f"export.{fmt}")
        self.w.export(path)
        other = self.scratch()
        other.load(path)
        assert canon(other.regions) == canon(self.model), show(other.regions)
        ok = self.saving(self.model, replace or not self.model)
        self.attempt(lambda: self.w.load(path, replace=replace), ok)

    @rule()
    def dataframe_round_trip(self) -> None:
        df = self.w.to_dataframe()
        by_start = sorted(self.model, key=lambda r: (r["start"], r["end"], r["id"]))
        other = self.scratch()
        other.from_dataframe(df)
        assert canon(other.regions) == canon(by_start), show(other.regions)
        done, _ = self.attempt(lambda: self.w.from_dataframe(df), self.saving(by_start))
        if done:
            self.model = by_start

    @rule(data=st.data())
    def label_studio_round_trip(self, data: st.DataObject) -> None:
        fmt = None
        if self.KIND == "datetime":
            fmt = data.draw(st.sampled_from([None, "%Y-%m-%d %H:%M:%S.%f"]))
        results = through_json(self.w.to_label_studio(time_format=fmt))
        other = self.scratch()
        other.from_label_studio(results, time_format=fmt)
        assert canon(other.regions) == canon(self.model), show(other.regions)
        self.attempt(
            lambda: self.w.from_label_studio(results, time_format=fmt), self.saving(self.model)
        )

    # -- other writers of the file, and autosave moved --------------------------------------------

    @precondition(lambda self: self.pending is None)
    @rule(data=st.data())
    def second_widget_writes(self, data: st.DataObject) -> None:
        """Another widget on the same path adds a region: this one must not overwrite it."""
        other = self.scratch(autosave=self.path)
        r = self.draw_region(data)
        rid = other.add_region(
            r["start"], r["end"], r["label"], r["channel"], **copy.deepcopy(r["meta"])
        )
        self.pending = Path(self.path).read_bytes()
        self.pending_regions = [*self.model, {**r, "id": rid}]
        self.pending_unit = self.time_unit

    @rule(data=st.data(), how=st.sampled_from(["other regions", "labels swapped", "garbage"]))
    def program_writes(self, data: st.DataObject, how: str) -> None:
        """Another program rewrites the file in place (plain file I/O)."""
        regions: list[dict[str, Any]] | None
        if how == "garbage":
            regions, text = None, b"this is not a labels file\n"
        else:
            if how == "labels swapped":
                swap = {"Run": "Hop", "Hop": "Run"}
                regions = [{**r, "label": swap.get(r["label"], r["label"])} for r in self.model]
            else:
                n = data.draw(st.integers(0, 2))
                regions = [self.draw_region(data, rid=self.fresh("x")) for _ in range(n)]
            writer = TimeSeriesVideo(
                self.frame, time_unit=self.time_unit, regions=copy.deepcopy(regions) or None
            )
            self.widgets.append(writer)
            kind = os.path.splitext(self.path)[1]
            elsewhere = tempfile.mkdtemp(prefix="tsv-other-")
            try:
                text = writer.export(os.path.join(elsewhere, f"x{kind}")).read_bytes()
            finally:
                shutil.rmtree(elsewhere)
        if Path(self.path).read_bytes() == text:
            return  # not a change
        with open(self.path, "wb") as f:
            f.write(text)
        self.pending, self.pending_regions = text, regions
        self.pending_unit = self.time_unit

    @precondition(lambda self: self.pending is not None)
    @rule()
    def load_the_file(self) -> None:
        """``w.load(w.autosave)`` takes the file's content as this widget's."""
        regions = self.pending_regions
        if regions is not None:
            regions = self.here(regions, self.pending_unit)
        ok = regions is not None and self.valid(regions)
        done, _ = self.attempt(lambda: self.w.load(self.w.autosave), ok)
        if done:
            assert regions is not None
            self.model = list(regions)
            self.pending = self.pending_regions = None

    @precondition(lambda self: self.pending is None)
    @rule(data=st.data(), mode=st.sampled_from(["same", "cleared", "diverged"]))
    def detach_and_reattach(self, data: st.DataObject, mode: str) -> None:
        """``autosave = None``, then the same path: it loads the file, accepts it if equal, or
        refuses."""
        self.w.autosave = None
        if mode == "cleared":
            self.w.clear_regions()
        elif mode == "diverged":
            r = self.draw_region(data)
            rid = self.w.add_region(r["start"], r["end"], r["label"], r["channel"], **r["meta"])
            self.attempt(lambda: setattr(self.w, "autosave", self.path), False)
            self.w.remove_region(rid)
        self.w.autosave = Path(self.path)
        assert self.w.autosave == self.path

    @rule(data=st.data())
    def move_autosave(self, data: st.DataObject) -> None:
        """``autosave = another path``: a new file gets memory; an old one is loaded or refused;
        one that cannot be a labels file is refused."""
        if data.draw(st.integers(0, 5)) == 0:
            bad = data.draw(
                st.sampled_from([os.path.join(self.dir, "no", "l.json"), "l.txt", 3, ""])
            )
            self.attempt(lambda: setattr(self.w, "autosave", bad), False)
            return
        if self.old_paths and data.draw(st.booleans()):
            path, recorded, unit = data.draw(st.sampled_from(self.old_paths))
            regions = self.here(recorded, unit)
            if regions is None:  # the file's numbers cannot be this data's integers
                ok, expected = False, self.model
            elif not self.model:
                ok, expected = self.valid(regions), regions
            else:
                ok, expected = canon(regions) == canon(self.model), self.model
        else:
            path = os.path.join(
                self.dir, f"{self.fresh('labels')}.{data.draw(st.sampled_from(['csv', 'json']))}"
            )
            ok, expected = True, self.model
        old = (self.path, list(self.model), self.time_unit)
        done, _ = self.attempt(lambda: setattr(self.w, "autosave", path), ok)
        if done:
            if self.pending is None:
                self.old_paths.append(old)
            self.path = path
            self.model = list(expected)
            self.pending = self.pending_regions = None
            self.old_paths = [o for o in self.old_paths if o[0] != path]

    # -- after every step ----------------------------------------------------------------------

    @invariant()
    def memory_is_the_model(self) -> None:
        if hasattr(self, "w"):
            assert canon(self.w.regions) == canon(self.model), (
                f"memory:\n{show(self.w.regions)}\nmodel:\n{show(self.model)}"
            )

    @invariant()
    def the_file_is_memory(self) -> None:
        if not hasattr(self, "w"):
            return
        assert self.w.autosave == self.path
        assert temp_files(self.dir) == [], "a temporary file was left behind"
        if self.pending is not None:
            assert Path(self.path).read_bytes() == self.pending, "someone else's file was changed"
            return
        before = file_state(self.path)
        parsed = labelfiles.parse(self.path, self.w.series)
        assert canon(parsed) == canon(self.w.regions), f"file:\n{show(parsed)}"
        reopened = self.scratch(autosave=self.path)
        assert canon(reopened.regions) == canon(self.w.regions), show(reopened.regions)
        assert file_state(self.path) == before, "opening the file rewrote it"
        reopened.close()
        self.widgets.remove(reopened)


def machine(kind: str) -> type[WidgetMachine]:
    return type(f"{kind.title()}Machine", (WidgetMachine,), {"KIND": kind})


SETTINGS = settings(
    max_examples=int(os.environ.get("TSV_EXAMPLES", "25")),
    report_multiple_bugs=False,
    phases=[Phase.explicit, Phase.reuse, Phase.generate]
    + ([Phase.shrink] if os.environ.get("TSV_SHRINK", "0") == "1" else []),
    stateful_step_count=int(os.environ.get("TSV_STEPS", "30")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
TestFloatTime = machine("float").TestCase
TestFloatTime.settings = SETTINGS
TestIntegerTime = machine("int").TestCase
TestIntegerTime.settings = SETTINGS
TestDatetimeTime = machine("datetime").TestCase
TestDatetimeTime.settings = SETTINGS


# -- the bugs the machine found, one at a time (each test failed when it was written) ----------


def snapshot(w: TimeSeriesVideo, path: Path) -> dict[str, Any]:
    """The public traits (data by identity, regions exactly) and the file's bytes and identity."""
    out: dict[str, Any] = {}
    for name in w.trait_names():
        if name in ("comm", "log", "keys", "_overview"):
            continue
        v = getattr(w, name)
        out[name] = id(v) if name == "data" else canon(v) if name == "regions" else repr(v)
    out["file"] = file_state(path)
    return out


def test_a_browser_region_whose_id_is_not_a_string_is_refused_with_the_rest(
    tmp_path: Path,
) -> None:
    """Found: ``regions``' from_json let a TypeError (unhashable id) out of ``set_state``,
    and ipywidgets then kept the message's other keys, never validated (rate = -5 here)."""
    w = TimeSeriesVideo(frame("float"), labels=LABELS, autosave=tmp_path / "l.json")
    sent = Sent(w)
    before = snapshot(w, tmp_path / "l.json")
    region = {"id": ["a"], "start": 0.5, "end": 1.0, "label": "Run", "channel": None}
    w.set_state(through_json({"rate": -5, "regions": [region]}))
    assert snapshot(w, tmp_path / "l.json") == before
    assert sent.msgs and sent.msgs[-1]["type"] == "rejected"


@pytest.mark.parametrize(
    ("name", "value"), [("channels", ["ax"]), ("data", "longer"), ("sort", True)]
)
def test_a_configuration_change_refused_by_autosave_changes_nothing(
    tmp_path: Path, name: str, value: Any
) -> None:
    """Found: after another widget wrote the file, a configuration change re-saved the
    regions from an observer, so AutosaveError came after the trait had changed."""
    path = tmp_path / "l.json"
    w = TimeSeriesVideo(frame("float"), labels=LABELS, autosave=path)
    w.add_region(2.5, 3.0, "Run")
    other = TimeSeriesVideo(frame("float"), labels=LABELS, autosave=path)
    other.add_region(3.0, 3.5, "Hop")
    before = snapshot(w, path)
    value = frame("float", n=256) if value == "longer" else value
    try:
        setattr(w, name, value)
    except traitlets.TraitError:
        assert snapshot(w, path) == before, f"{name} was refused, but changed"
    else:
        assert snapshot(w, path)["file"] == before["file"]


@pytest.mark.parametrize("kind", ["int", "datetime"])
def test_a_region_one_tick_outside_exact_time_is_refused_not_moved(kind: str) -> None:
    """Integer and datetime times are exact: a region ending a nanosecond after the last
    sample is outside the data. Found: it was accepted, its end silently moved onto the
    last sample (the float time's slack)."""
    df = frame(kind)
    times = own_times(df)
    one = pd.Timedelta(1, "ns") if kind == "datetime" else 1
    w = TimeSeriesVideo(df, time_unit=UNIT[kind], labels=LABELS)
    with pytest.raises(traitlets.TraitError):
        w.add_region(times[-2], times[-1] + one, "Run")
    with pytest.raises(traitlets.TraitError):
        w.add_region(times[0] - one, times[1], "Run")
    assert w.regions == []


def test_autosave_set_later_to_a_file_this_widget_cannot_hold_changes_nothing(
    tmp_path: Path,
) -> None:
    """Memory empty, the file holds a region with a label this widget does not have.
    Found: the load was refused from the observer, after ``autosave`` was set, so the next
    change overwrote the file and its region was lost."""
    path = tmp_path / "l.json"
    a = TimeSeriesVideo(frame("float"), labels=["Run", "Fly"], autosave=path)
    a.add_region(2.5, 3.0, "Fly")
    on_disk = path.read_bytes()
    b = TimeSeriesVideo(frame("float"), labels=["Run"])
    with pytest.raises(traitlets.TraitError):
        b.autosave = path
    assert b.autosave is None
    b.add_region(3.0, 3.5, "Run")
    assert path.read_bytes() == on_disk, "the other widget's region was overwritten"


def test_autosave_set_later_never_overwrites_a_file_that_differs_in_types(tmp_path: Path) -> None:
    """Found: the file and memory were compared with ``==`` (True == 1 == 1.0), so a file
    whose meta differed only in type was taken as equal, then rewritten with memory's."""
    path = tmp_path / "l.json"
    region = {"id": "r1", "start": 2.5, "end": 3.0, "label": "Run"}
    TimeSeriesVideo(
        frame("float"), labels=LABELS, autosave=path, regions=[{**region, "meta": {"flag": True}}]
    )
    on_disk = path.read_bytes()
    b = TimeSeriesVideo(frame("float"), labels=LABELS, regions=[{**region, "meta": {"flag": 1}}])
    try:
        b.autosave = path
    except traitlets.TraitError:
        assert b.autosave is None
    assert path.read_bytes() == on_disk, "the file was overwritten"


@pytest.mark.parametrize("bad", ["not an operation", {"id": "b", "region": None}])
def test_an_edit_with_a_malformed_operation_applies_none_of_it(bad: Any) -> None:
    """All operations of a message or none. Found: one that is not an object, or has no
    ``seq``, was dropped silently while the others were applied."""
    w = TimeSeriesVideo(frame("float"), labels=LABELS)
    sent = Sent(w)
    good = {"id": "a", "start": 0.5, "end": 1.0, "label": "Run", "channel": None}  # seconds
    msg = {
        "type": "edit",
        "id": 1,
        "client": "c",
        "ops": [{"seq": 1, "id": "a", "region": good}, bad],
    }
    w._protocol.handle(through_json(msg), [])
    assert w.regions == []
    assert sent.msgs[-1]["error"] and sent.msgs[-1]["seq"] == 0


def test_autosave_set_again_to_its_own_csv_file_is_accepted(tmp_path: Path) -> None:
    """A CSV file gives meta keys back in column order; the file is still equal to memory
    (dicts are equal whatever their order). Found: re-attaching it was refused ("differ"),
    since the check compares JSON texts, which keep key order."""
    path = tmp_path / "l.csv"
    w = TimeSeriesVideo(frame("float"), labels=LABELS, autosave=path)
    w.add_region(2.5, 3.0, "Run", b=1)
    w.add_region(3.0, 3.5, "Run", a=1, b=2)
    on_disk = path.read_bytes()
    w.autosave = None
    w.autosave = path
    assert w.autosave == str(path) and path.read_bytes() == on_disk
