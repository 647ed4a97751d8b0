"""Checkpoints of the ledger chain heads, written outside the database.

`checkpoint_write()` (the beat task `risks.tasks.ledger_checkpoint` and
`manage.py ledger_checkpoint`) appends one line to `<LEDGER_CHECKPOINT_DIR>/checkpoints.jsonl`:
the time, the event count and head MAC of every chain whose head moved since the lines
before, the previous line's MAC, and an HMAC of the line with the current chain key.
Ship the directory somewhere the database administrator cannot write (an append-only
mount, a log shipper, a mailbox).

`checkpoint_publish()` also emails the line to `LEDGER_CHECKPOINT_EMAILS` (auditors keep
the mails: a second copy out of the database administrator's reach).

`checkpoint_check()` reads every line back: a line whose MAC fails, a broken line
chain, and a chain whose event at a checkpointed position has another MAC (rewritten,
even with the key) or is gone (truncated, deleted) are findings.
"""

from __future__ import annotations

import fcntl
import json
import os
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from config.chain_keys import ChainKeyError, configured_chain_keys

from .ledger_models import LedgerEvent
from .signing import canonical_json, mac_hex, macs_equal, sealing_key

FILE_NAME = "checkpoints.jsonl"


@dataclass(frozen=True)
class CheckpointFinding:
    acceptance_id: int | None
    where: str
    what: str

    def __str__(self) -> str:
        doc = f"acceptance #{self.acceptance_id}" if self.acceptance_id else "ledger"
        return f"{doc}, {self.where}: {self.what}"


def checkpoint_path(directory: str | os.PathLike | None = None) -> Path | None:
    directory = directory if directory is not None else settings.LEDGER_CHECKPOINT_DIR
    return Path(directory) / FILE_NAME if directory else None


def chain_heads() -> dict[str, list]:
    """{acceptance id: [event count, head MAC]} for every chain."""
    last_seq = (
        LedgerEvent.objects.filter(acceptance_id=OuterRef("acceptance_id"))
        .order_by("-seq")
        .values("seq")[:1]
    )
    rows = LedgerEvent.objects.filter(seq=Subquery(last_seq)).values_list(
        "acceptance_id", "seq", "mac"
    )
    return {str(aid): [seq, mac] for aid, seq, mac in rows}


def _line_mac(line: dict, key: bytes) -> str:
    return mac_hex(key, canonical_json({k: v for k, v in line.items() if k != "mac"}))


def checkpoint_write(directory: str | os.PathLike | None = None) -> dict:
    """Append a signed checkpoint line; returns it. Safe to run twice (two lines).

    A line names the chains whose head moved since the lines before it (all of them in
    the first line), so the file grows with the activity, not with the number of chains;
    `total` is the number of chains at that moment. A line with no chains still proves
    the checkpoint ran.
    """
    path = checkpoint_path(directory)
    if path is None:
        raise ValueError("LEDGER_CHECKPOINT_DIR is not set: nowhere to write the checkpoint.")
    path.parent.mkdir(parents=True, exist_ok=True)
    key_id, key = sealing_key()
    with open(path, "a+", encoding="utf-8") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # one writer at a time; lines chain in order
        handle.seek(0)
        previous = ""
        known: dict[str, list] = {}
        for raw in handle:
            try:
                earlier = json.loads(raw)
            except ValueError:
                continue
            previous = earlier.get("mac", previous)
            known.update(earlier.get("chains") or {})
        heads = chain_heads()
        line = {
            "v": 1,
            "at": timezone.now().isoformat(timespec="microseconds"),
            "chains": {aid: head for aid, head in heads.items() if known.get(aid) != head},
            "total": len(heads),
            "kid": key_id,
            "prev": previous,
        }
        line["mac"] = _line_mac(line, key)
        handle.seek(0, os.SEEK_END)
        handle.write(canonical_json(line) + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    return line


def checkpoint_publish(directory: str | os.PathLike | None = None) -> dict:
    """Write a checkpoint line, and email it to the auditors' addresses (if any)."""
    from config.notifications.services import notification_enqueue_many, user_emails

    line = checkpoint_write(directory)
    addresses = list(getattr(settings, "LEDGER_CHECKPOINT_EMAILS", []) or [])
    if addresses:
        notification_enqueue_many(
            user_emails(
                users=[],
                addresses=addresses,
                event="ledger.checkpoint",
                key=f"ledger-checkpoint:{line['mac']}",
                template="ledger-checkpoint",
                context={
                    "line": canonical_json(line),
                    "at": line["at"],
                    "kid": line["kid"],
                    "chains": len(line["chains"]),
                    "total": line["total"],
                },
            )
        )
    return line


def checkpoint_check(
    directory: str | os.PathLike | None = None,
) -> tuple[list[CheckpointFinding], list[str], int]:
    """(findings, warnings, lines read) for the checkpoint file against the chains."""
    findings: list[CheckpointFinding] = []
    warnings: list[str] = []
    path = checkpoint_path(directory)
    if path is None:
        warnings.append(
            "no checkpoint directory (LEDGER_CHECKPOINT_DIR) is configured: a rewrite of the "
            "ledger with the key, or a truncation of a chain, cannot be detected"
        )
        return findings, warnings, 0
    if not path.exists():
        warnings.append(
            f"no checkpoint found at {path}: a rewrite of the ledger with the key, or a "
            "truncation of a chain, cannot be detected (run `manage.py ledger_checkpoint`)"
        )
        return findings, warnings, 0
    try:
        keys = configured_chain_keys()
    except ChainKeyError:
        keys = None
    heads: dict[tuple[int, int], tuple[str, str]] = {}
    previous = ""
    count = 0
    with open(path, encoding="utf-8") as handle:
        for number, raw in enumerate(handle, start=1):
            count += 1
            where = f"checkpoint line {number}"
            try:
                line = json.loads(raw)
            except ValueError:
                findings.append(CheckpointFinding(None, where, "not valid JSON"))
                continue
            key = keys.keys.get(line.get("kid", "")) if keys else None
            if key is None:
                findings.append(
                    CheckpointFinding(
                        None, where, f"signed with key '{line.get('kid')}', which is not configured"
                    )
                )
            elif not macs_equal(_line_mac(line, key), line.get("mac", "")):
                findings.append(CheckpointFinding(None, where, "its MAC does not match (forged)"))
                continue
            if not macs_equal(line.get("prev", ""), previous):
                findings.append(
                    CheckpointFinding(
                        None, where, "not linked to the line before it (lines removed)"
                    )
                )
            previous = line.get("mac", "")
            for aid, (seq, mac) in (line.get("chains") or {}).items():
                heads.setdefault((int(aid), int(seq)), (mac, f"{where} ({line.get('at')})"))
    if count == 0:
        warnings.append(f"the checkpoint file {path} is empty")
        return findings, warnings, 0
    stored = {
        (aid, seq): mac
        for aid, seq, mac in LedgerEvent.objects.filter(
            acceptance_id__in={aid for aid, _ in heads}
        ).values_list("acceptance_id", "seq", "mac")
    }
    for (aid, seq), (mac, where) in sorted(heads.items()):
        found = stored.get((aid, seq))
        if found is None:
            findings.append(
                CheckpointFinding(
                    aid,
                    f"chain event seq {seq}",
                    f"gone from the database, but {where} recorded it: the chain was "
                    "truncated or deleted",
                )
            )
        elif not macs_equal(found, mac):
            findings.append(
                CheckpointFinding(
                    aid,
                    f"chain event seq {seq}",
                    f"its MAC disagrees with {where}: the chain was rewritten after the checkpoint",
                )
            )
    return findings, warnings, count
