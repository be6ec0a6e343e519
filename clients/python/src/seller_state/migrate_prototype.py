"""Carries the prototype's conversations over to the service:

    python -m seller_state.migrate_prototype --redis-url redis://... --service-url http://... [--token T] [--dry-run]

It finds the prototype's states by its SET of active contacts and by scanning the state keys for
values that are not the service's (the service converts the SET itself, so it may be gone), reads
each pickle without running it (``prototype_pickle.py``), and writes it through the service, which
validates and indexes it. Members of the SET without a state are ghosts and are skipped. A second
run finds nothing left to write. Exit status: 0 when it ran to the end (refusals are reported, not
failures), 1 when it could not run, 2 for wrong arguments.
"""
from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass, field
from typing import Any, Optional, Sequence

from .client import SellerStateClient
from .errors import InvalidDocument, InvalidRequest, PreconditionFailed, SellerStateError
from .prototype_pickle import RefusedPickle, load_state

SCAN_BATCH = 500


@dataclass
class Report:
    dry_run: bool
    migrated: int = 0
    already_migrated: int = 0
    ghosts: int = 0
    refused: list[tuple[str, str]] = field(default_factory=list)

    def line(self) -> str:
        verb = "would migrate" if self.dry_run else "migrated"
        tail = " (dry run: nothing written)" if self.dry_run else ""
        return (f"{verb} {self.migrated}, already migrated {self.already_migrated}, ghosts {self.ghosts}, "
                f"refused {len(self.refused)}{tail}")


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _candidates(redis: Any, prefix: str) -> tuple[set[str], set[str]]:
    """The contact ids of the prototype's SET (and of the copy the service moves aside while it
    converts it), and those whose state key holds a string: a pickle."""
    listed: set[str] = set()
    for name in (f"{prefix}active_contacts", f"{prefix}migrating:active_contacts"):
        if _text(redis.type(name)) == "set":
            listed.update(_text(member) for member in redis.sscan_iter(name, count=SCAN_BATCH))
    state_prefix = f"{prefix}state:"
    pattern = re.sub(r"([*?\[\]\\])", r"\\\1", state_prefix) + "*"
    pickled = {_text(key)[len(state_prefix):] for key in redis.scan_iter(match=pattern, count=SCAN_BATCH, _type="string")}
    return listed, pickled


def migrate(redis: Any, client: SellerStateClient, *, prefix: str = "seller:", dry_run: bool = False,
            default_location_id: Optional[str] = None) -> Report:
    report = Report(dry_run)
    listed, pickled = _candidates(redis, prefix)
    for contact_id in sorted(listed | pickled):
        key = f"{prefix}state:{contact_id}"
        kind = _text(redis.type(key))
        if kind == "hash":
            report.already_migrated += 1
            continue
        data = redis.get(key) if kind == "string" else None
        if data is None:
            if kind == "none" or kind == "string":
                report.ghosts += 1
            else:
                report.refused.append((contact_id, f"the key holds a Redis {kind}, not a pickled state"))
            continue
        try:
            document = load_state(data)
        except RefusedPickle as refusal:
            report.refused.append((contact_id, str(refusal)))
            continue
        if default_location_id and not document.get("location_id"):
            document["location_id"] = default_location_id
        if dry_run:
            report.migrated += 1
            continue
        try:
            # If-Match: * writes only over a value still there: an expired one is not revived.
            client.put(contact_id, document, if_match="*")
            report.migrated += 1
        except PreconditionFailed:
            report.ghosts += 1
        except InvalidRequest as refusal:
            report.refused.append((contact_id, _reason(refusal, document)))
    return report


def _reason(refusal: InvalidRequest, document: dict[str, Any]) -> str:
    reason = f"the service refused it: {refusal.message}"
    if isinstance(refusal, InvalidDocument) and "location_id" in refusal.fields and document.get("location_id") == "":
        reason += " (location_id is the prototype's empty fallback: give the real one with --default-location-id)"
    return reason


def _masked(url: str) -> str:
    return re.sub(r"//[^@/]*@", "//***@", url)


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m seller_state.migrate_prototype", description=__doc__.split("\n\n")[0])
    parser.add_argument("--redis-url", required=True, help="the Redis the prototype wrote to (the service's Redis)")
    parser.add_argument("--service-url", required=True, help="the seller-state service, e.g. http://127.0.0.1:3000")
    parser.add_argument("--token", help="a write token, when the service has API_KEYS")
    parser.add_argument("--key-prefix", default="seller:", help="the service's KEY_PREFIX (default seller:)")
    parser.add_argument("--default-location-id", help="location_id for states the prototype saved with an empty one")
    parser.add_argument("--dry-run", action="store_true", help="read and check everything, write nothing")
    args = parser.parse_args(argv)
    try:
        import redis
    except ImportError:
        print("the migration tool needs the redis package: pip install 'seller-state[migrate]'", file=sys.stderr)
        return 1

    connection = redis.Redis.from_url(args.redis_url)
    try:
        with SellerStateClient(args.service_url, args.token) as client:
            report = migrate(connection, client, prefix=args.key_prefix, dry_run=args.dry_run,
                             default_location_id=args.default_location_id)
    except redis.RedisError as error:
        print(f"could not run: Redis at {_masked(args.redis_url)}: {error}", file=sys.stderr)
        return 1
    except SellerStateError as error:
        print(f"could not run: the service at {args.service_url}: {error}; run again to go on", file=sys.stderr)
        return 1
    finally:
        connection.close()
    for contact_id, reason in report.refused:
        print(f"refused {contact_id}: {reason}")
    print(report.line())
    return 0


if __name__ == "__main__":
    sys.exit(main())
