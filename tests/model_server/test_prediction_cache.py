"""The prediction cache on its own: keys, bounds, expiry, integrity, settings from the environment."""

from __future__ import annotations

import numpy as np
import pytest

from model_packaging import serving_contract as contract
from model_server.prediction_cache import CacheSettings, CacheSettingsError, PredictionCache

NAMES = ["a", "b", "c"]
OUTPUTS = [{"name": "label", "shape": [1], "datatype": "INT64", "data": [1]},
           {"name": "probabilities", "shape": [1, 2], "datatype": "FP32", "data": [0.25, 0.75]}]


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def cache(max_entries: int = 100, ttl: float = 60, version: str = "1.0.0", digest: str = "d" * 64,
          names: list[str] | None = None, clock: Clock | None = None) -> PredictionCache:
    return PredictionCache(CacheSettings(enabled=True, max_entries=max_entries, ttl_seconds=ttl), version, digest,
                           names or NAMES, clock=clock or Clock())


def test_key_covers_values_shape_names_version_and_digest() -> None:
    row = np.array([[1.0, 2.0, 3.0]])
    base = cache().key(row)
    assert cache().key(row.copy()) == base  # same input, same server: same key
    assert cache().key(np.array([[1.0, 2.0, 3.5]])) != base
    assert cache().key(row.reshape(3, 1)) != base  # same bytes, other shape
    assert cache(version="1.0.1").key(row) != base  # a new version never sees the old answers
    assert cache(digest="e" * 64).key(row) != base  # nor a re-packaged artifact
    assert cache(names=["a", "c", "b"]).key(row) != base
    assert cache().key(np.asfortranarray(np.array([[1.0, 2.0], [3.0, 4.0]]))) == \
        cache().key(np.array([[1.0, 2.0], [3.0, 4.0]]))  # memory layout does not matter, values do


def test_hit_returns_a_copy_and_counts() -> None:
    c = cache()
    key = c.key(np.array([[1.0, 2.0, 3.0]]))
    assert c.get(key) is None
    c.put(key, OUTPUTS)
    first = c.get(key)
    assert first == OUTPUTS
    assert first is not None
    first[0]["data"][0] = 99  # a caller mutating its response cannot change the cached answer
    assert c.get(key) == OUTPUTS
    stats = c.stats()
    assert (stats.hits, stats.misses, stats.entries) == (2, 1, 1)
    assert stats.hit_rate == pytest.approx(2 / 3)


def test_lru_bound_and_ttl() -> None:
    clock = Clock()
    c = cache(max_entries=3, ttl=10, clock=clock)
    keys = [c.key(np.array([[float(i), 0.0, 0.0]])) for i in range(4)]
    for key in keys[:3]:
        c.put(key, OUTPUTS)
    assert c.get(keys[0]) is not None  # keys[0] is now the most recently used
    c.put(keys[3], OUTPUTS)
    assert len(c) == 3
    assert c.get(keys[1]) is None  # the least recently used went first
    assert c.get(keys[0]) is not None and c.get(keys[3]) is not None
    clock.now += 10.0
    assert c.get(keys[0]) is None  # expired exactly at the TTL
    assert c.entry(keys[0]) is None


@pytest.mark.parametrize("damage", ["payload", "checksum", "key", "garbage"])
def test_a_damaged_entry_is_never_served(damage: str) -> None:
    c = cache()
    key = c.key(np.array([[1.0, 2.0, 3.0]]))
    c.put(key, OUTPUTS)
    entry = c.entry(key)
    assert entry is not None
    if damage == "payload":  # one flipped digit: still valid JSON, a different answer
        entry.payload = entry.payload.replace(b"0.75", b"0.76")
    elif damage == "checksum":
        entry.checksum = bytes(len(entry.checksum))
    elif damage == "key":  # an entry filed under another request's key
        entry.key = c.key(np.array([[9.0, 9.0, 9.0]]))
    else:
        entry.payload = b"\xff\x00not json"
    assert c.get(key) is None
    assert c.corrupt == 1 and len(c) == 0
    c.put(key, OUTPUTS)
    assert c.get(key) == OUTPUTS


def test_settings_from_environment() -> None:
    assert CacheSettings.from_environment({}) == CacheSettings()
    assert not CacheSettings().enabled  # off by default
    settings = CacheSettings.from_environment({contract.CACHE_ENABLED_ENV: "true",
                                               contract.CACHE_MAX_ENTRIES_ENV: "500",
                                               contract.CACHE_TTL_SECONDS_ENV: "30"})
    assert (settings.enabled, settings.max_entries, settings.ttl_seconds) == (True, 500, 30)
    assert CacheSettings.from_environment(settings.environment()) == settings
    with pytest.raises(CacheSettingsError, match=f"{contract.CACHE_MAX_ENTRIES_ENV}='0'"):
        CacheSettings.from_environment({contract.CACHE_MAX_ENTRIES_ENV: "0"})
    with pytest.raises(CacheSettingsError, match=f"{contract.CACHE_TTL_SECONDS_ENV}='soon'"):
        CacheSettings.from_environment({contract.CACHE_TTL_SECONDS_ENV: "soon"})
    with pytest.raises(CacheSettingsError, match="is not a boolean"):
        CacheSettings.from_environment({contract.CACHE_ENABLED_ENV: "maybe"})
