"""Offline lookups from coordinates: the IANA time zone (timezonefinder) and the countries that zone covers (tzdata)."""

from __future__ import annotations

import threading
from functools import lru_cache
from importlib import resources
from pathlib import Path

from timezonefinder import TimezoneFinder

_lock = threading.Lock()
_finder: TimezoneFinder | None = None


def _tf() -> TimezoneFinder:
    global _finder
    if _finder is None:
        with _lock:  # loading the boundary data takes ~0.1 s: once per process
            if _finder is None:
                _finder = TimezoneFinder()
    return _finder


def timezone_at(lat: float, lon: float) -> str | None:
    """The IANA time zone at a point (``Etc/GMT±n`` at sea), None when the data has none."""
    return _tf().timezone_at(lat=lat, lng=lon)


def _tab_text(name: str) -> str:
    try:
        return resources.files("tzdata").joinpath("zoneinfo", name).read_text(encoding="utf-8")
    except (ModuleNotFoundError, FileNotFoundError):
        path = Path("/usr/share/zoneinfo") / name
        return path.read_text(encoding="utf-8") if path.exists() else ""


@lru_cache(maxsize=1)
def _countries_by_zone() -> dict[str, frozenset[str]]:
    out: dict[str, set[str]] = {}
    for name in ("zone.tab", "zone1970.tab"):  # zone.tab: one country per zone; zone1970.tab: zones shared
        for line in _tab_text(name).splitlines():
            if line.startswith("#") or not line.strip():
                continue
            parts = line.split("\t")
            if len(parts) >= 3:
                out.setdefault(parts[2], set()).update(parts[0].split(","))
    return {zone: frozenset(codes) for zone, codes in out.items()}


def countries_at(lat: float, lon: float) -> frozenset[str]:
    """ISO country codes of the time zone at a point (empty when unknown, e.g. at sea)."""
    zone = timezone_at(lat, lon)
    return _countries_by_zone().get(zone, frozenset()) if zone else frozenset()
