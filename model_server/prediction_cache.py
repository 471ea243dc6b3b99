"""`PredictionCache`: repeated inputs answered from memory, never with a stale or damaged answer.

The key is a BLAKE2b hash of what the model actually sees, the validated float64 matrix (bytes and
shape), together with the signature's input names, the model version and the artifact digest: a new
version or a re-packaged artifact starts from an empty key space, so it never serves an old answer.

Each entry holds its own key and a checksum over key and payload (the output tensors as JSON). A hit
is served only when both check out; otherwise the entry is dropped, counted as corrupt and the
request goes to the model. Serving JSON-decoded copies also means no caller can alter a cached
answer by mutating a response.

Bounded by `max_entries` (least recently used out first) and by `ttl_seconds` per entry. One lock
guards the table: MLServer runs `predict` on its event loop (no await inside a cache call, so the
loop never blocks on it), and the lock keeps the cache correct if a runtime ever calls it from
executor threads.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from contracts.errors import SlipstackError
from model_packaging import serving_contract as contract

_KEY_BYTES = 16


class CacheSettingsError(SlipstackError):
    """A cache setting (environment variable or spec field) out of range."""

    exit_code = 2


class CacheSettings(BaseModel):
    """The prediction cache's configuration (from SLIPSTACK_CACHE_* or the spec's serving.cache)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = Field(default=False, description="Answer repeated inputs from memory.")
    max_entries: int = Field(default=contract.CACHE_DEFAULT_MAX_ENTRIES, ge=1, le=contract.CACHE_MAX_ENTRIES_LIMIT,
                             description="Most entries held; the least recently used go first.")
    ttl_seconds: float = Field(default=contract.CACHE_DEFAULT_TTL_SECONDS, gt=0, le=contract.CACHE_TTL_SECONDS_LIMIT,
                               description="How long an entry may be served after it was stored.")

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> CacheSettings:
        env = os.environ if environ is None else environ
        raw_enabled = env.get(contract.CACHE_ENABLED_ENV, "").strip().lower()
        if raw_enabled not in ("", "true", "false", "1", "0", "yes", "no"):
            raise CacheSettingsError(f"{contract.CACHE_ENABLED_ENV}={raw_enabled!r} is not a boolean; "
                                     "set true or false")
        values: dict[str, Any] = {"enabled": raw_enabled in ("true", "1", "yes")}
        for field, name in (("max_entries", contract.CACHE_MAX_ENTRIES_ENV),
                            ("ttl_seconds", contract.CACHE_TTL_SECONDS_ENV)):
            raw = env.get(name, "").strip()
            if raw:
                values[field] = raw
        try:
            return cls.model_validate(values)
        except ValidationError as error:
            first = error.errors()[0]
            field = str(first["loc"][0])
            name = contract.CACHE_MAX_ENTRIES_ENV if field == "max_entries" else contract.CACHE_TTL_SECONDS_ENV
            raise CacheSettingsError(f"{name}={values.get(field)!r}: {first['msg']} (max_entries 1-"
                                     f"{contract.CACHE_MAX_ENTRIES_LIMIT:,}, ttl_seconds above 0 and at most "
                                     f"{contract.CACHE_TTL_SECONDS_LIMIT:,})") from None

    def environment(self) -> dict[str, str]:
        """These settings as the environment variables the serving runtime reads."""
        return {contract.CACHE_ENABLED_ENV: "true" if self.enabled else "false",
                contract.CACHE_MAX_ENTRIES_ENV: str(self.max_entries),
                contract.CACHE_TTL_SECONDS_ENV: f"{self.ttl_seconds:g}"}


@dataclass(frozen=True)
class CacheStats:
    hits: int
    misses: int
    corrupt: int
    entries: int

    @property
    def hit_rate(self) -> float:
        looked_up = self.hits + self.misses
        return self.hits / looked_up if looked_up else 0.0


@dataclass
class CacheEntry:
    """One cached answer with what proves it intact: its own key and a checksum of key + payload."""

    key: bytes
    payload: bytes
    checksum: bytes
    expires_at: float


def _checksum(key: bytes, payload: bytes) -> bytes:
    return hashlib.blake2b(payload, digest_size=_KEY_BYTES, key=key).digest()


class PredictionCache:
    """LRU + TTL cache of V2 output tensors for one model version of one artifact."""

    def __init__(self, settings: CacheSettings, model_version: str, artifact_digest: str,
                 input_names: Sequence[str], clock: Callable[[], float] = time.monotonic):
        self.settings = settings
        self._clock = clock
        self._entries: OrderedDict[bytes, CacheEntry] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0
        self.corrupt = 0
        # Everything but the matrix is fixed per server: hash it once and copy the hasher per request.
        self._prefix = hashlib.blake2b(digest_size=_KEY_BYTES)
        for part in (model_version, artifact_digest, "\x1f".join(input_names)):
            encoded = part.encode()
            self._prefix.update(len(encoded).to_bytes(4, "little") + encoded)

    def key(self, features: np.ndarray) -> bytes:
        """The key of a validated [rows, features] float64 matrix."""
        matrix = np.ascontiguousarray(features, dtype=np.float64)
        hasher = self._prefix.copy()
        hasher.update(np.asarray(matrix.shape, dtype=np.int64).tobytes())
        hasher.update(matrix.data)
        return hasher.digest()

    def body_key(self, path: str, body: bytes, form: str = "body") -> bytes:
        """The key of a request body sent to `path` (the server's front door: no decode at all).

        Byte-for-byte equal requests share an entry; a request that differs only in spacing is a miss,
        never a wrong answer. `form` keeps apart key spaces of different meanings (the raw bytes as sent,
        the canonical form of the decoded request).
        """
        hasher = self._prefix.copy()
        hasher.update(form.encode() + b"\x1f" + path.encode() + b"\x1f")
        hasher.update(body)
        return hasher.digest()

    def get_bytes(self, key: bytes, counted: bool = True) -> bytes | None:
        """The cached payload for `key` as stored (a whole response body), or None.

        `counted=False`: a first look-up that another one follows on a miss (the front door tries a body's bytes,
        then its canonical form), so each request counts once in hits and misses.
        """
        payload = self._lookup(key, counted)
        if payload is not None and counted:
            with self._lock:
                self.hits += 1
        return payload

    def count_hit(self) -> None:
        """A hit of an uncounted look-up (`get_bytes(key, counted=False)`) that was served."""
        with self._lock:
            self.hits += 1

    def put_bytes(self, key: bytes, payload: bytes) -> None:
        entry = CacheEntry(key, payload, _checksum(key, payload), self._clock() + self.settings.ttl_seconds)
        with self._lock:
            self._entries[key] = entry
            self._entries.move_to_end(key)
            while len(self._entries) > self.settings.max_entries:
                self._entries.popitem(last=False)

    def _lookup(self, key: bytes, counted: bool = True) -> bytes | None:
        """An intact, fresh entry's payload (misses and corrupt entries counted), or None."""
        now = self._clock()
        missed = 1 if counted else 0
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                self.misses += missed
                return None
            if entry.expires_at <= now:
                del self._entries[key]
                self.misses += missed
                return None
            if entry.key != key or _checksum(key, entry.payload) != entry.checksum:
                del self._entries[key]
                self.corrupt += 1
                self.misses += missed
                return None
            self._entries.move_to_end(key)
            return entry.payload

    def get(self, key: bytes) -> list[dict[str, Any]] | None:
        """The cached output tensors for `key`, or None (a miss, an expired or a damaged entry)."""
        payload = self._lookup(key)
        if payload is None:
            return None
        try:
            outputs = json.loads(payload)
        except (UnicodeDecodeError, ValueError):  # a checksum collision on garbage: still never served
            self.drop(key, corrupt=True)
            return None
        with self._lock:
            self.hits += 1
        return outputs

    def put(self, key: bytes, outputs: list[dict[str, Any]]) -> None:
        self.put_bytes(key, json.dumps(outputs, separators=(",", ":")).encode())

    def drop(self, key: bytes, corrupt: bool = False) -> None:
        with self._lock:
            if self._entries.pop(key, None) is not None and corrupt:
                self.corrupt += 1
                # get() counted a hit-in-waiting as nothing yet; the request goes to the model: a miss.
                self.misses += 1

    def entry(self, key: bytes) -> CacheEntry | None:
        """The stored entry itself (inspection and the integrity tests)."""
        with self._lock:
            return self._entries.get(key)

    def __len__(self) -> int:
        return len(self._entries)

    def stats(self) -> CacheStats:
        with self._lock:
            return CacheStats(self.hits, self.misses, self.corrupt, len(self._entries))
