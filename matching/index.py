"""The in-memory candidate matrix: built once from the database, updated per profile change.

Columns are NumPy arrays with spare capacity, so `upsert` appends in amortised O(1) and `remove`
leaves a tombstone; `compact()` (run automatically when a quarter of the rows are dead) rewrites
them. Row order never matters to the ranker: ties are broken by expert id.
"""

from __future__ import annotations

import itertools
import json
import os
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from . import features
from .types import STAGES, ExpertRecord
from .vectors import SkillSpace, expert_skill_row

_NO_DATE_LOW = -(10**7)
_NO_DATE_HIGH = features.FAR_FUTURE
_build_counter = itertools.count(1)
_COLUMN_MAJOR = ("_skills", "_c_start", "_c_end", "_c_hours", "_stage_exp", "_field_exp")
_MATRICES = ("_skills", "_emb", "_c_start", "_c_end", "_c_hours", "_stage_counts", "_stages_led",
             "_field_counts", "_field_decl", "_stage_exp", "_field_exp")
SNAPSHOT_FORMAT = 1


def _pref_bit(code: str | None) -> int:
    """Two-digit JIS prefecture code -> bit (1..47); 0 for unknown."""
    if not code:
        return 0
    try:
        n = int(str(code)[:2])
    except ValueError:
        return 0
    return 1 << n if 1 <= n <= 47 else 0


class CandidateIndex:
    """Column arrays for every live expert plus their text embeddings (N x d, L2-normalised)."""

    _SCALARS = {  # column -> dtype
        "ids": np.int64, "alive": bool, "active": bool, "remote": bool, "onsite": bool, "resident": bool,
        "lat": np.float32, "lng": np.float32, "home_pref": np.int64, "travel_prefs": np.int64,
        "reach_km": np.float32, "hours": np.float32, "avail_from": np.int32, "avail_until": np.int32,
        "fee_amount": np.float32, "fee_unit": np.int8, "schemes": np.int64, "type_bits": np.int8,
        "n_ratings": np.float32, "sum_ratings": np.float32, "n_rehire": np.float32, "n_rehire_yes": np.float32,
        "open_requests": np.float32, "stale": bool,
    }

    def __init__(self, space: SkillSpace, experts: Sequence[ExpertRecord], embeddings: np.ndarray | None = None,
                 *, dim: int | None = None, stages: Sequence[str] = STAGES, version_base: str | None = None):
        if embeddings is not None:
            embeddings = np.asarray(embeddings, dtype=np.float32)
            if embeddings.ndim != 2 or embeddings.shape[0] != len(experts):
                raise ValueError(f"embeddings must be ({len(experts)}, d), got {embeddings.shape}")
            dim = embeddings.shape[1]
        self.space = space
        self.dim = int(dim or 0)
        self.stages = tuple(stages)
        self._stage_pos = {s: i for i, s in enumerate(self.stages)}
        self._field_pos: dict[str, int] = {}
        self._scheme_pos: dict[str, int] = {}
        self._row_of: dict[int, int] = {}
        self.external_ids: list[str] = []
        self._n = 0
        self._dead = 0
        self._updates = 0
        self._base = version_base or f"{os.getpid():x}.{next(_build_counter)}"
        for e in experts:
            for f in itertools.chain(e.completed_field_counts, e.fields):
                self._field_pos.setdefault(f, len(self._field_pos))
        self._allocate(max(len(experts), 16), max((len(e.commitments) for e in experts), default=1) or 1)
        if len(set(e.id for e in experts)) != len(experts):
            raise ValueError("expert ids must be unique")
        for e in experts:
            self._write(self._n, e, None if embeddings is None else embeddings[self._n])
            self._row_of[e.id] = self._n
            self.external_ids.append(e.external_id)
            self._n += 1

    # --- storage -----------------------------------------------------------------------
    def _allocate(self, capacity: int, k: int) -> None:
        self._cap, self._k = capacity, k
        for name, dtype in self._SCALARS.items():
            setattr(self, "_" + name, np.zeros(capacity, dtype=dtype))
        # Column-major: a need reads a handful of item columns for all rows, which is then contiguous.
        self._skills = np.zeros((capacity, self.space.n_items), dtype=np.float32, order="F")
        self._emb = np.zeros((capacity, self.dim), dtype=np.float32)
        # Commitments padded to K slots, column-major: remaining hours walk one slot at a time.
        self._c_start = np.full((capacity, k), _NO_DATE_HIGH, dtype=np.int32, order="F")
        self._c_end = np.full((capacity, k), _NO_DATE_LOW, dtype=np.int32, order="F")
        self._c_hours = np.zeros((capacity, k), dtype=np.float32, order="F")
        self._stage_counts = np.zeros((capacity, len(self.stages)), dtype=np.float32)
        self._stages_led = np.zeros((capacity, len(self.stages)), dtype=np.float32)
        self._field_counts = np.zeros((capacity, max(len(self._field_pos), 1)), dtype=np.float32)
        self._field_decl = np.zeros((capacity, max(len(self._field_pos), 1)), dtype=np.float32)
        # What the record signal reads: completed engagements + 0.5 per declared stage/field, kept
        # ready so a need costs one product per matrix.
        self._stage_exp = np.zeros((capacity, len(self.stages)), dtype=np.float32, order="F")
        self._field_exp = np.zeros((capacity, max(len(self._field_pos), 1)), dtype=np.float32, order="F")

    def _grow(self, capacity: int | None = None, k: int | None = None, n_fields: int | None = None) -> None:
        """Reallocate with more rows, commitment slots or field columns, keeping the data."""
        capacity = capacity or self._cap
        k = k or self._k
        n_fields = max(n_fields or self._field_counts.shape[1], self._field_counts.shape[1])
        n = self._n
        for name, dtype in self._SCALARS.items():
            old = getattr(self, "_" + name)
            new = np.zeros(capacity, dtype=dtype)
            new[:n] = old[:n]
            setattr(self, "_" + name, new)
        for name, fill in (("_skills", 0), ("_emb", 0), ("_c_start", _NO_DATE_HIGH), ("_c_end", _NO_DATE_LOW),
                           ("_c_hours", 0), ("_stage_counts", 0), ("_stages_led", 0),
                           ("_field_counts", 0), ("_field_decl", 0), ("_stage_exp", 0), ("_field_exp", 0)):
            old = getattr(self, name)
            cols = {"_c_start": k, "_c_end": k, "_c_hours": k, "_field_counts": n_fields,
                    "_field_decl": n_fields, "_field_exp": n_fields}.get(name, old.shape[1])
            order = "F" if name in _COLUMN_MAJOR else "C"
            new = np.full((capacity, cols), fill, dtype=old.dtype, order=order)
            new[:n, :old.shape[1]] = old[:n]
            setattr(self, name, new)
        self._cap, self._k = capacity, k

    def _write(self, row: int, e: ExpertRecord, embedding: np.ndarray | None) -> None:
        if len(e.commitments) > self._k:
            self._grow(k=len(e.commitments))
        new_fields = [f for f in itertools.chain(e.completed_field_counts, e.fields) if f not in self._field_pos]
        for f in new_fields:
            self._field_pos.setdefault(f, len(self._field_pos))
        if len(self._field_pos) > self._field_counts.shape[1]:
            self._grow(n_fields=max(len(self._field_pos), 2 * self._field_counts.shape[1]))
        self._ids[row] = e.id
        self._alive[row] = True
        self._active[row] = e.active and e.listed
        self._remote[row], self._onsite[row], self._resident[row] = e.remote, e.onsite, e.resident
        known = e.lat is not None and e.lng is not None
        self._lat[row] = np.radians(e.lat) if known else np.nan
        self._lng[row] = np.radians(e.lng) if known else np.nan
        self._home_pref[row] = _pref_bit(e.prefecture_code)
        bits = 0
        for p in e.travel_prefectures:
            bits |= _pref_bit(p)
        self._travel_prefs[row] = bits | _pref_bit(e.prefecture_code)
        self._reach_km[row] = features.DEFAULT_REACH_KM if e.max_travel_km is None else e.max_travel_km
        self._hours[row] = e.hours_per_month
        self._avail_from[row] = e.available_from.toordinal() if e.available_from else _NO_DATE_LOW
        self._avail_until[row] = e.available_until.toordinal() if e.available_until else _NO_DATE_HIGH
        self._fee_amount[row] = np.nan if e.fee_amount is None else e.fee_amount
        self._fee_unit[row] = features.FEE_UNITS.get(e.fee_unit, 0) if e.fee_amount is not None else 0
        sbits = 0
        for s in e.schemes:
            if s not in self._scheme_pos:
                if len(self._scheme_pos) >= 62:
                    raise ValueError("too many distinct schemes")
                self._scheme_pos[s] = len(self._scheme_pos)
            sbits |= 1 << self._scheme_pos[s]
        self._schemes[row] = sbits
        self._type_bits[row] = features.TYPE_BITS[e.talent_type]
        self._n_ratings[row] = len(e.ratings)
        self._sum_ratings[row] = sum(r.overall for r in e.ratings)
        answered = [r.would_rehire for r in e.ratings if r.would_rehire is not None]
        self._n_rehire[row] = len(answered)
        self._n_rehire_yes[row] = sum(answered)
        self._open_requests[row] = e.open_contact_requests
        self._stale[row] = e.availability_stale
        expert_skill_row(self.space, e, out=self._skills[row])
        if self.dim:
            self._emb[row] = 0.0 if embedding is None else embedding
        self._c_start[row] = _NO_DATE_HIGH
        self._c_end[row] = _NO_DATE_LOW
        self._c_hours[row] = 0.0
        for k, c in enumerate(e.commitments):
            self._c_start[row, k] = c.start.toordinal()
            self._c_end[row, k] = c.end.toordinal() if c.end else _NO_DATE_HIGH
            self._c_hours[row, k] = c.hours_per_month
        self._stage_counts[row] = 0.0
        self._stages_led[row] = 0.0
        for s, count in e.completed_stage_counts.items():
            if s in self._stage_pos:
                self._stage_counts[row, self._stage_pos[s]] = count
        for s in e.stages_led:
            if s in self._stage_pos:
                self._stages_led[row, self._stage_pos[s]] = 1.0
        self._field_counts[row] = 0.0
        self._field_decl[row] = 0.0
        for f, count in e.completed_field_counts.items():
            self._field_counts[row, self._field_pos[f]] = count
        for f in e.fields:
            self._field_decl[row, self._field_pos[f]] = 1.0
        self._stage_exp[row] = self._stage_counts[row] + 0.5 * self._stages_led[row]
        self._field_exp[row] = self._field_counts[row] + 0.5 * self._field_decl[row]

    # --- updates -----------------------------------------------------------------------
    def upsert(self, expert: ExpertRecord, embedding: np.ndarray | None = None) -> None:
        """Insert or replace one expert (a profile changed)."""
        if embedding is not None:
            embedding = np.asarray(embedding, dtype=np.float32).reshape(-1)
            if embedding.shape[0] != self.dim:
                raise ValueError(f"embedding has dim {embedding.shape[0]}, index has {self.dim}")
        row = self._row_of.get(expert.id)
        if row is None:
            if self._n == self._cap:
                self._grow(capacity=2 * self._cap)
            row = self._n
            self._n += 1
            self._row_of[expert.id] = row
            self.external_ids.append(expert.external_id)
        else:
            self.external_ids[row] = expert.external_id
        self._write(row, expert, embedding)
        self._updates += 1

    def remove(self, expert_id: int) -> bool:
        """Drop one expert; return False when unknown."""
        row = self._row_of.pop(expert_id, None)
        if row is None:
            return False
        self._alive[row] = False
        self._active[row] = False
        self._dead += 1
        self._updates += 1
        if self._dead > max(64, self._n // 4):
            self.compact()
        return True

    def compact(self) -> None:
        """Rewrite the columns without tombstones (keeps the version: the content is the same)."""
        keep = np.flatnonzero(self._alive[:self._n])
        for name in list(self._SCALARS) :
            arr = getattr(self, "_" + name)
            arr[:keep.size] = arr[keep]
        for name in ("_skills", "_emb", "_c_start", "_c_end", "_c_hours", "_stage_counts", "_stages_led",
                     "_field_counts", "_field_decl", "_stage_exp", "_field_exp"):
            arr = getattr(self, name)
            arr[:keep.size] = arr[keep]
        self.external_ids = [self.external_ids[i] for i in keep]
        self._n = int(keep.size)
        self._dead = 0
        self._row_of = {int(i): r for r, i in enumerate(self._ids[:self._n])}

    # --- snapshots ---------------------------------------------------------------------
    def save(self, folder: str | os.PathLike, *, spare_rows: int | None = None) -> None:
        """Write the columns as .npy files plus `meta.json` into an existing, empty folder.

        `spare_rows` of capacity are kept (default 2 %, at least 256) so a worker that maps the snapshot
        takes new experts without reallocating every column.
        """
        folder = Path(folder)
        spare = max(256, self._n // 50) if spare_rows is None else spare_rows
        rows = self._n + spare
        for name in [*("_" + n for n in self._SCALARS), *_MATRICES]:
            arr = getattr(self, name)
            out = np.zeros((rows, *arr.shape[1:]), dtype=arr.dtype, order="F" if name in _COLUMN_MAJOR else "C")
            if name == "_c_start":
                out[:] = _NO_DATE_HIGH
            elif name == "_c_end":
                out[:] = _NO_DATE_LOW
            out[:self._n] = arr[:self._n]
            np.save(folder / f"{name[1:]}.npy", out)
        meta = {"format": SNAPSHOT_FORMAT, "n": self._n, "dead": self._dead, "updates": self._updates,
                "base": self._base, "k": self._k, "dim": self.dim, "stages": list(self.stages),
                "items": list(self.space.item_ids), "field_pos": self._field_pos, "scheme_pos": self._scheme_pos,
                "external_ids": self.external_ids}
        (folder / "meta.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, space: SkillSpace, folder: str | os.PathLike, *, mmap: bool = True) -> "CandidateIndex":
        """Open a snapshot written by `save`; with `mmap` the columns are copy-on-write maps of the files,
        so the processes of a host share the pages until one of them changes a row."""
        folder = Path(folder)
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
        if meta.get("format") != SNAPSHOT_FORMAT or tuple(meta["items"]) != tuple(space.item_ids):
            raise ValueError(f"{folder}: snapshot of another format or skill axis")
        index = cls.__new__(cls)
        index.space = space
        index.dim = int(meta["dim"])
        index.stages = tuple(meta["stages"])
        index._stage_pos = {s: i for i, s in enumerate(index.stages)}
        index._field_pos = dict(meta["field_pos"])
        index._scheme_pos = dict(meta["scheme_pos"])
        index.external_ids = list(meta["external_ids"])
        index._n, index._dead, index._updates = int(meta["n"]), int(meta["dead"]), int(meta["updates"])
        index._base, index._k = meta["base"], int(meta["k"])
        for name in [*("_" + n for n in cls._SCALARS), *_MATRICES]:
            setattr(index, name, np.load(folder / f"{name[1:]}.npy", mmap_mode="c" if mmap else None))
        index._cap = int(index._ids.shape[0])
        alive = np.flatnonzero(index._alive[:index._n])
        index._row_of = dict(zip(index._ids[alive].tolist(), alive.tolist()))
        return index

    # --- reading -----------------------------------------------------------------------
    @property
    def version(self) -> str:
        """Changes on every upsert/remove, so a stored shortlist can name the data it saw."""
        return f"{self._base}+{self._updates}"

    def __len__(self) -> int:
        return self._n - self._dead

    def __contains__(self, expert_id: int) -> bool:
        return expert_id in self._row_of

    def row_of(self, expert_id: int) -> int:
        return self._row_of[expert_id]

    def column(self, name: str) -> np.ndarray:
        """A view of one column over the used rows (tombstones included; see `alive`)."""
        return getattr(self, "_" + name)[:self._n]

    @property
    def n_rows(self) -> int:
        return self._n

    @property
    def skills(self) -> np.ndarray:
        return self._skills[:self._n]

    @property
    def embeddings(self) -> np.ndarray:
        return self._emb[:self._n]

    def stage_indicator(self, stages: Iterable[str]) -> np.ndarray:
        v = np.zeros(len(self.stages), dtype=np.float32)
        for s in stages:
            if s in self._stage_pos:
                v[self._stage_pos[s]] = 1.0
        return v

    def field_indicator(self, fields: Iterable[str]) -> np.ndarray:
        v = np.zeros(self._field_counts.shape[1], dtype=np.float32)
        for f in fields:
            if f in self._field_pos:
                v[self._field_pos[f]] = 1.0
        return v

    def scheme_bits(self, schemes: Iterable[str]) -> int:
        """Bitmask of schemes; an unknown scheme maps to a bit no one has."""
        bits = 0
        for s in schemes:
            bits |= 1 << self._scheme_pos[s] if s in self._scheme_pos else 1 << 62
        return bits

    def memory_bytes(self) -> int:
        """Bytes held by the column arrays (capacity included)."""
        arrays = [getattr(self, "_" + n) for n in self._SCALARS] + [
            self._skills, self._emb, self._c_start, self._c_end, self._c_hours, self._stage_counts,
            self._stages_led, self._field_counts, self._field_decl, self._stage_exp, self._field_exp]
        return int(sum(a.nbytes for a in arrays))
