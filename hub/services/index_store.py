"""Where the candidate index comes from: a snapshot on disk, then the change log.

A worker that starts maps the newest snapshot of its host (`CandidateIndex.load`, copy-on-write, so the
workers of a host share the pages) and applies the change-log rows written since; only when there is no
usable snapshot does it build the index from the database and write one. A worker that has applied many
changes since its snapshot writes a newer one (one writer at a time, by a lock file), so a worker started
later has less to catch up on.

A snapshot is only used for the database that made it: the folder is keyed by the database URL, the
encoder and the skill axis, and the change-log row it was made at must still be there, unchanged.
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

import matching
from hub.models import ExpertChange

log = logging.getLogger(__name__)

# A change id below the highest one seen but not yet visible belongs to a transaction still running (or
# rolled back): it is read again until it shows up or this many seconds have passed.
GAP_SECONDS = 600.0
# At a full build, ids this far below the newest one that are missing count as such gaps too.
BUILD_LOOKBACK = 1000
KEEP_SNAPSHOTS = 2


@dataclass
class ChangeCursor:
    """Which rows of the change log an index has taken in: all ids up to `high`, except the open `gaps`."""

    high: int = 0
    gaps: dict[int, float] = field(default_factory=dict)  # change id -> when first missed (time.monotonic)

    @classmethod
    def at_build(cls, session: Session) -> "ChangeCursor":
        """The cursor for an index about to be read from the database in this session's snapshot."""
        high = session.scalar(select(func.max(ExpertChange.id))) or 0
        present = set(session.scalars(select(ExpertChange.id).where(ExpertChange.id > high - BUILD_LOOKBACK)))
        now = time.monotonic()
        return cls(high, {i: now for i in range(max(1, high - BUILD_LOOKBACK + 1), high + 1) if i not in present})

    def read(self, session: Session, gap_seconds: float = GAP_SECONDS) -> set[int]:
        """Ids of the experts changed since the last read: one primary-key range of the change log."""
        floor = min(self.gaps) - 1 if self.gaps else self.high
        changed: set[int] = set()
        now = time.monotonic()
        for change_id, expert_id in session.execute(
                select(ExpertChange.id, ExpertChange.expert_id).where(ExpertChange.id > floor)
                .order_by(ExpertChange.id)):
            if change_id <= self.high:
                if self.gaps.pop(change_id, None) is not None:
                    changed.add(expert_id)
                continue
            for missing in range(self.high + 1, change_id):
                self.gaps[missing] = now
            self.high = change_id
            changed.add(expert_id)
        expired = [i for i, since in self.gaps.items() if now - since > gap_seconds]
        for change_id in expired:
            del self.gaps[change_id]
        if expired:
            log.info("change log: %d ids never committed (rolled back), no longer awaited", len(expired))
        return changed

    def to_dict(self) -> dict:
        return {"high": self.high, "gaps": sorted(self.gaps)}

    @classmethod
    def from_dict(cls, data: dict) -> "ChangeCursor":
        now = time.monotonic()
        return cls(int(data["high"]), {int(i): now for i in data.get("gaps", ())})


def change_fingerprint(session: Session, change_id: int) -> list | None:
    """What identifies the change row `change_id` in this database (None when there is no such row)."""
    row = session.execute(select(ExpertChange.expert_id, ExpertChange.changed_at)
                          .where(ExpertChange.id == change_id)).first()
    return None if row is None else [row[0], row[1].isoformat() if row[1] is not None else None]


def snapshot_key(database_url: str, encoder_name: str, space: matching.SkillSpace) -> str:
    """Folder name for one database, encoder and skill axis (texts included: they make the item matrix)."""
    digest = hashlib.sha256()
    digest.update(database_url.encode())
    digest.update(encoder_name.encode())
    digest.update(json.dumps([space.item_ids, sorted(space.texts.items())], ensure_ascii=False).encode())
    return digest.hexdigest()[:20]


@dataclass
class Loaded:
    index: matching.CandidateIndex
    cursor: ChangeCursor
    item_matrix: np.ndarray | None
    change_id: int  # the snapshot's high-water mark


class SnapshotStore:
    """Versioned snapshots of one database's index in `root/<key>/<change id>-<random>/`."""

    def __init__(self, root: str | os.PathLike, key: str):
        self.folder = Path(root) / key
        self.folder.mkdir(parents=True, exist_ok=True)

    def versions(self) -> list[Path]:
        """Complete snapshots, newest first (a folder gets its name only once it is written)."""
        found = []
        for path in self.folder.iterdir():
            head = path.name.split("-", 1)[0]
            if path.is_dir() and head.isdigit() and (path / "meta.json").exists():
                found.append((int(head), path.stat().st_mtime, path))
        return [path for *_, path in sorted(found, reverse=True)]

    def load(self, session: Session, space: matching.SkillSpace) -> Loaded | None:
        """The newest snapshot that belongs to this database, mapped; None when there is none."""
        for path in self.versions():
            try:
                info = json.loads((path / "store.json").read_text(encoding="utf-8"))
                if change_fingerprint(session, info["cursor"]["high"]) != info["fingerprint"]:
                    log.info("index snapshot %s is of another database state; skipped", path.name)
                    continue
                index = matching.CandidateIndex.load(space, path)
                items = path / "item_matrix.npy"
                item_matrix = np.load(items) if items.exists() else None
            except (OSError, ValueError, KeyError) as exc:
                log.warning("index snapshot %s unreadable: %s", path, exc)
                continue
            return Loaded(index, ChangeCursor.from_dict(info["cursor"]), item_matrix, info["cursor"]["high"])
        return None

    def save(self, session: Session, index: matching.CandidateIndex, cursor: ChangeCursor,
             item_matrix: np.ndarray | None) -> Path | None:
        """Write a snapshot unless another process is writing one now; return its folder."""
        with open(self.folder / ".lock", "w") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return None
            started = time.perf_counter()
            temp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=self.folder))
            try:
                index.save(temp)
                if item_matrix is not None:
                    np.save(temp / "item_matrix.npy", item_matrix)
                (temp / "store.json").write_text(json.dumps({
                    "cursor": cursor.to_dict(), "fingerprint": change_fingerprint(session, cursor.high)}),
                    encoding="utf-8")
                final = self.folder / f"{cursor.high}-{temp.name[5:]}"
                os.rename(temp, final)
            except BaseException:
                shutil.rmtree(temp, ignore_errors=True)
                raise
            for old in self.versions()[KEEP_SNAPSHOTS:]:  # mapped files stay readable for whoever maps them
                shutil.rmtree(old, ignore_errors=True)
            log.info("index snapshot %s written in %.2fs (%d experts)", final.name, time.perf_counter() - started,
                     len(index))
            return final
