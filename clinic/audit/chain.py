"""The audit hash chain, pure: the canonical form of a row, the link hash and the verifier.

``hash = HMAC-SHA256(AUDIT_KEY, previous hash + canonical row)``, where the canonical row is
sorted-key JSON of every column but ``id`` and ``hash`` (times as UTC ISO 8601 with microseconds).
``seq`` numbers the chain 1, 2, 3... without gaps, so a deleted row shows as a missing number and a
reordered one as a number out of place. This format is stored: changing it needs a migration that
re-chains, or every existing row would fail verification (migration 0007 re-chained the unkeyed
SHA-256 rows of 0005 under the key).

The key is not in the database, so someone who can write the database but not read the app's
configuration cannot rewrite a row and re-chain everything after it. Cutting off the chain's end
leaves a shorter chain that still verifies: a signed :func:`checkpoint` of the head, kept outside
the database, catches that.
"""

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC

GENESIS = "0" * 64  # the "previous hash" of the first row
INTEGER_FIELDS = ("seq", "clinic_id", "actor_id", "object_id", "patient_id")
TEXT_FIELDS = ("actor_kind", "action", "object_type", "outcome", "ip", "request_id")
CHAINED_FIELDS = ("at", "detail", *INTEGER_FIELDS, *TEXT_FIELDS)


def normalise_detail(detail):
    """The detail exactly as it reads back from a JSON column (tuples become lists, and so on)."""
    return json.loads(json.dumps(detail or {}, sort_keys=True))


def canonical(row):
    """Bytes of a row (a mapping with the chained fields) in one deterministic form."""
    values = {}
    for name in INTEGER_FIELDS:
        values[name] = None if row[name] is None else int(row[name])
    for name in TEXT_FIELDS:
        values[name] = None if row[name] is None else str(row[name])
    at = row["at"]
    if at.tzinfo is None:  # SQLite hands back naive UTC when read without the app's type
        at = at.replace(tzinfo=UTC)
    values["at"] = at.astimezone(UTC).isoformat(timespec="microseconds")
    values["detail"] = normalise_detail(row["detail"])
    return json.dumps(values, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def key_bytes(key):
    """The HMAC key from the configured ``AUDIT_KEY`` text; refuses an empty one."""
    if not key:
        raise ValueError("the audit chain needs AUDIT_KEY")
    return key.encode() if isinstance(key, str) else bytes(key)


def link(key, previous_hash, row):
    """The hash of ``row`` chained to the row before it, keyed by ``key`` (AUDIT_KEY)."""
    return hmac.new(key_bytes(key), previous_hash.encode("ascii") + canonical(row),
                    hashlib.sha256).hexdigest()


def sha256_link(previous_hash, row):
    """The unkeyed link of migration 0005 (and of 0007's downgrade): a stored, retired format."""
    return hashlib.sha256(previous_hash.encode("ascii") + canonical(row)).hexdigest()


# Checkpoints: the signed head, kept outside the database -----------------------------------

CHECKPOINT_FIELDS = ("seq", "hash", "at")


def _checkpoint_message(seq, head_hash, at):
    payload = json.dumps({"seq": int(seq), "hash": head_hash, "at": at}, sort_keys=True,
                         separators=(",", ":"))
    return b"liftclinic audit checkpoint\n" + payload.encode()


def checkpoint(key, seq, head_hash, at):
    """A checkpoint record: the head (seq, hash), the time (UTC ISO 8601 text) and an HMAC
    signature of those three (domain-separated from the chain's own links)."""
    signature = hmac.new(key_bytes(key), _checkpoint_message(seq, head_hash, at),
                         hashlib.sha256).hexdigest()
    return {"seq": int(seq), "hash": head_hash, "at": at, "signature": signature}


def checkpoint_signature_ok(key, record):
    """Whether ``record`` (a parsed checkpoint) carries a valid signature under ``key``."""
    try:
        expected = checkpoint(key, record["seq"], record["hash"], record["at"])["signature"]
        return hmac.compare_digest(expected, str(record["signature"]))
    except (KeyError, TypeError, ValueError):
        return False


@dataclass(frozen=True)
class Problem:
    """The first place where the stored chain and the recomputed one part."""

    kind: str  # altered / deleted / reordered
    row_id: int
    seq: int
    message: str


@dataclass(frozen=True)
class Verdict:
    rows: int
    head_seq: int
    head_hash: str
    problem: Problem | None

    @property
    def intact(self):
        return self.problem is None


def verify(key, rows, row_id_of_seq):
    """Walk ``rows`` (mappings with ``id``, ``hash`` and the chained fields, in ``id`` order).

    ``row_id_of_seq(seq)`` returns the id of the row holding ``seq`` (or None): it tells a
    number out of place (reordered) from a missing one (deleted). Returns a :class:`Verdict`
    that names the first problem only: every later row would fail too.
    """
    previous_hash, previous_seq, count = GENESIS, 0, 0
    for row in rows:
        count += 1
        expected = previous_seq + 1
        row_id, seq = row["id"], row["seq"]
        problem = None
        if seq > expected:
            holder = row_id_of_seq(expected)
            if holder is None:
                missing = f"seq {expected}" if seq == expected + 1 else f"seq {expected}-{seq - 1}"
                problem = Problem("deleted", row_id, seq,
                                  f"row {row_id} (seq {seq}): the row(s) before it were "
                                  f"deleted ({missing} missing)")
            else:
                problem = Problem("reordered", row_id, seq,
                                  f"row {row_id} (seq {seq}) is out of order: seq {expected} "
                                  f"is row {holder}, which should come before it")
        elif seq < expected:
            problem = Problem("reordered", row_id, seq,
                              f"row {row_id} (seq {seq}) is out of order: it comes after "
                              f"seq {previous_seq}")
        elif not hmac.compare_digest(link(key, previous_hash, row), row["hash"]):
            problem = Problem("altered", row_id, seq,
                              f"row {row_id} (seq {seq}) was altered: its content or its "
                              "link to the row before does not match its hash")
        if problem is not None:
            return Verdict(count, previous_seq, previous_hash, problem)
        previous_hash, previous_seq = row["hash"], seq
    return Verdict(count, previous_seq, previous_hash, None)
