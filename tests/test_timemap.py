"""The data <-> media mapping, on the cases shared with the JS tests."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from tsvideo_widget.timemap import TimeMap, check_rate

CASES = json.loads((Path(__file__).parent / "mapping_cases.json").read_text())["cases"]


def _map(c: dict) -> TimeMap:
    knots = c.get("knots")
    return TimeMap(
        c["span"],
        c["duration"],
        c["offset"],
        c["rate"],
        None if knots is None else tuple(map(tuple, knots)),
    )


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_to_media(case: dict) -> None:
    assert _map(case).to_media(case["rel"]) == pytest.approx(case["media"], rel=1e-12, abs=1e-9)


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_to_data_inverts(case: dict) -> None:
    m = _map(case)
    assert m.to_data(m.to_media(case["rel"])) == pytest.approx(case["rel"], rel=1e-12, abs=1e-9)


def seed_recipe(rel: float, span: float, duration: float, window: float) -> float:
    """The Label Studio recipe's formula, for contrast: it depends on the window width."""
    return duration * rel / (span - window)


@pytest.mark.parametrize(
    "case",
    [
        c
        for c in CASES
        if c["offset"] is None and not c.get("knots") and c["duration"] and c["rel"] > 0
    ],
)
def test_mapping_does_not_depend_on_window_unlike_the_recipe(case: dict) -> None:
    ours = _map(case).to_media(case["rel"])
    recipe = seed_recipe(case["rel"], case["span"], case["duration"], case["window"])
    assert not math.isclose(ours, recipe, rel_tol=1e-6)
    assert ours == pytest.approx(case["media"])


def test_data_width_follows_the_mapping() -> None:
    assert TimeMap(30, 60).data_width(5) == pytest.approx(2.5)
    assert TimeMap(30, None).data_width(5) == pytest.approx(5)
    assert TimeMap(30, 60, offset=0.0, rate=2.0).data_width(5) == pytest.approx(2.5)


@pytest.mark.parametrize("bad", [0, -1, float("nan"), float("inf")])
def test_rate_must_be_positive_and_finite(bad: float) -> None:
    with pytest.raises(ValueError, match="rate must be a finite number > 0"):
        check_rate(bad)
