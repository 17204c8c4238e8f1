"""Events read but not stored when ingest had to stop without its database, kept for the next start.

When the database does not come back before the shutdown timeout, what is still queued (read
from nodes, never sent to PostgreSQL) is written to a file under ``TART_DATA_DIR/unstored``,
one JSON object per line, instead of being lost with the process. The next ``tart ingest`` on
the same data directory queues those items before it accepts a node, waits until they are
committed, and removes the file. A file being stored is locked (flock), so several ingest
processes sharing the directory each take different files; if the process dies while storing
one, the next start stores it again, and what had been committed of it is then stored twice.

The batches the writer had sent when the time ran out are in the file too, each with its lane's
token (writer_progress, which every commit updates in its own transaction): PostgreSQL may
have committed them, and only once it is back can the next start tell, and store them only if
it did not. A batch being stored in parts (tart.ingest.refused) cannot be told, and is counted
as not stored.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

import orjson

from tart.ingest.items import Event, Undecodable
from tart.protocol.errors import DecodeError

log = logging.getLogger(__name__)

SUFFIX = ".jsonl"


def directory(data_dir: Path) -> Path:
    return data_dir / "unstored"


def save(sent: list, queued: list, data_dir: Path) -> Path:
    """Write the items of the batches `sent` ((writer key, lane, token), items), then the
    `queued` items, to a new file, flushed to disk; its path."""
    folder = directory(data_dir)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{time.time_ns()}-{os.getpid()}{SUFFIX}"
    partial = path.with_suffix(".partial")
    marked = [(mark, item) for mark, items in sent for item in items]
    with open(partial, "wb") as out:
        for mark, item in [*marked, *((None, item) for item in queued)]:
            out.write(orjson.dumps({**_record(item), "sent": mark}) + b"\n")
        out.flush()
        os.fsync(out.fileno())
    partial.rename(path)  # complete or absent: a file cut short by a crash is never read
    return path


def claim(data_dir: Path, session_type: Callable) -> Iterator[tuple[Path, BinaryIO, list]]:
    """Each file no other process is storing, locked for this one: (its path, its open file
    that holds the lock, its items as (mark, item)), the mark of an item of a batch that was
    sent being (writer key, lane, token), else None. `session_type(id, remote)` makes the
    items' sessions."""
    folder = directory(data_dir)
    if not folder.is_dir():
        return
    for path in sorted(folder.glob(f"*{SUFFIX}")):
        try:
            held = open(path, "rb")  # held open for its lock until released
        except FileNotFoundError:  # stored and removed by another process meanwhile
            continue
        try:
            fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            held.close()
            continue
        if not path.exists():  # stored and removed by the process that held it
            held.close()
            continue
        sessions = {}
        try:
            items = []
            for line in held:
                record = json.loads(line)
                mark = record["sent"]
                items.append((mark and tuple(mark), _item(record, sessions, session_type)))
        except (ValueError, KeyError, TypeError) as error:
            # Not one this code wrote: set aside for a person to look at, not tried again.
            aside = path.with_suffix(".unreadable")
            path.rename(aside)
            held.close()
            log.error("cannot read %s (%s); moved to %s", path, error, aside)
            continue
        yield path, held, items


def release(path: Path, held: BinaryIO) -> None:
    """The claimed file's items are committed: remove it."""
    path.unlink()
    held.close()


def _record(item) -> dict:
    session = item.session
    record = {
        "session": session.id,
        "node": session.node_id,
        "event_id": item.event_id,
        "received": item.received,
        "frame": item.frame.hex(),
    }
    if type(item) is Event:
        record.update(discriminator=item.discriminator, timestamp=item.timestamp, data=item.data)
    else:
        error = item.error
        record["error"] = {
            "reason": error.reason,
            "offset": error.offset,
            "field_path": error.field_path,
            "discriminator": error.discriminator,
            "event_name": error.event_name,
        }
    return record


def _item(record: dict, sessions: dict, session_type):
    session = sessions.get(record["session"])
    if session is None:
        session = sessions[record["session"]] = session_type(record["session"], "unstored")
        session.node_id = record["node"]
    frame = bytes.fromhex(record["frame"])
    if "error" in record:
        error = DecodeError(**record["error"])
        return Undecodable(session, record["event_id"], error, record["received"], frame)
    return Event(
        session,
        record["event_id"],
        record["discriminator"],
        record["timestamp"],
        record["data"],
        record["received"],
        frame,
    )
