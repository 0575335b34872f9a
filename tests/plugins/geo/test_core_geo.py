"""core.geo: the one near-a-point helper events, groups and geo share (pure functions)."""

from __future__ import annotations

import math

import pytest

from core.geo import bounding_box, distance_sql, haversine_km, valid_point, walking_minutes


def test_haversine_known_distance() -> None:
    # Moscow Kremlin to Saint Petersburg's Palace Square: about 634 km
    assert haversine_km(55.7520, 37.6175, 59.9390, 30.3158) == pytest.approx(634, abs=3)
    assert haversine_km(10, 20, 10, 20) == 0


@pytest.mark.parametrize(("lat", "lng", "ok"), [
    (91, 0, False), (-91, 0, False), (0, 181, False), (0, -181, False), (math.nan, 0, False), (0, math.inf, False),
    (90, 180, True), (-90, -180, True), (55.75, 37.62, True),
])
def test_valid_point(lat: float, lng: float, ok: bool) -> None:
    assert valid_point(lat, lng) is ok


def test_box_contains_the_circle_and_wraps_at_the_antimeridian() -> None:
    box = bounding_box(55.75, 37.62, 10)
    assert box.lng_lo is not None and box.lng_hi is not None
    # every point 10 km away (north, south, east, west) is inside
    for lat, lng in ((55.75 + 10 / 111.2, 37.62), (55.75 - 10 / 111.2, 37.62),
                     (55.75, 37.62 + 10 / (111.2 * math.cos(math.radians(55.75))))):
        assert box.lat_lo <= lat <= box.lat_hi and box.lng_lo <= lng <= box.lng_hi
    assert bounding_box(0, 179.99, 50).lng_lo is None  # crosses the antimeridian: latitude band only
    assert bounding_box(89.99, 0, 50).lat_hi == 90.0


def test_distance_sql_is_the_same_formula() -> None:
    assert distance_sql("g.latitude", "g.longitude", "$4::float8", "$5::float8").startswith("6371.0088 * 2 * asin(")


def test_walking_estimate() -> None:
    assert walking_minutes(0) == 1
    assert walking_minutes(4.5) == 78  # 4.5 km straight, 1.3 detour, 4.5 km/h
