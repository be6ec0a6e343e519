"""The migration day, played on real processes: the prototype's pickles and SET in a private Redis,
the service started over them, then ``python -m seller_state.migrate_prototype`` run as an
operator runs it."""
from __future__ import annotations

import os
import pickle
import subprocess
import sys
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Iterator

import pytest
import redis as redis_py

from seller_state import SellerStateClient
from seller_state.prototype_pickle import RefusedPickle, load_state
from processes import RedisServer, Service, stop_all
from support import state_document

TTL = 604800
SOURCE = Path(__file__).resolve().parents[1] / "src"


@dataclass
class PrototypeState:
    contact_id: str
    location_id: str


class RunsACommand:
    """What an attacker would store: unpickling it runs a shell command."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> Any:
        return (os.system, (f"touch {self.marker}",))


def prototype_dict(contact_id: str, **members: Any) -> dict[str, Any]:
    """The dict the prototype's save_conversation_state pickled, datetimes already isoformat()."""
    return {**state_document(contact_id, "loc_proto", stage="Q2", current_question=2, questions_answered=1,
                             condition="needs_minor_repairs",
                             conversation_history=[{"role": "user", "content": "Hi, about my house"}],
                             last_interaction="2026-01-23T10:31:00.000512+00:00"),
            **members}


@pytest.fixture(scope="module")
def migration_day(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    marker = tmp_path_factory.mktemp("evil") / "pwned"
    server = RedisServer()
    service = None
    try:
        redis = redis_py.Redis.from_url(server.url)
        pickles: dict[str, bytes] = {
            "c_iso": pickle.dumps(prototype_dict("c_iso")),
            # An older save that pickled datetimes themselves, and tuples, with an old protocol.
            "c_datetimes": pickle.dumps(prototype_dict(
                "c_datetimes", last_interaction=datetime(2026, 1, 23, 10, 31, 0, 512, tzinfo=timezone.utc),
                conversation_started=datetime(2026, 1, 20, 9, 0, tzinfo=timezone(timedelta(hours=-5))),
                extracted_data={"seen_at": datetime(2026, 1, 21, 8, 0), "range": (150000, 180000)}), protocol=2),
            "c_protocol0": pickle.dumps(prototype_dict("c_protocol0"), protocol=0),
            "c_empty_location": pickle.dumps(prototype_dict("c_empty_location", location_id="")),
            "c_evil": pickle.dumps({"contact_id": "c_evil", "payload": RunsACommand(marker)}),
            "c_object": pickle.dumps(PrototypeState("c_object", "loc_proto")),
        }
        for contact_id, data in pickles.items():
            redis.set(f"seller:state:{contact_id}", data, ex=TTL)
        service = Service(server.url, LOG_LEVEL="info")
        # A prototype worker still running adds to its SET after the service converted it: the
        # tool must find the SET's members, and its ghost.
        redis.sadd("seller:active_contacts", "c_iso", "c_datetimes", "c_evil", "c_ghost")
        yield {"redis": redis, "service": service, "marker": marker, "server": server}
    finally:
        stop_all(service, server)


def run_tool(*args: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "PYTHONPATH": str(SOURCE)}
    return subprocess.run([sys.executable, "-m", "seller_state.migrate_prototype", *args], env=environment,
                          capture_output=True, text=True, timeout=120)


def test_the_service_names_the_tool_at_start_up(migration_day: dict[str, Any]) -> None:
    log = migration_day["service"].log()
    assert "states are still the Python prototype's pickles" in log
    assert "python -m seller_state.migrate_prototype" in log
    assert '"prototypeStates":6' in log


def test_a_dry_run_reports_and_writes_nothing(migration_day: dict[str, Any]) -> None:
    redis, service = migration_day["redis"], migration_day["service"]
    run = run_tool("--redis-url", migration_day["server"].url, "--service-url", service.url, "--dry-run")
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines()[-1] == "would migrate 4, already migrated 0, ghosts 1, refused 2 (dry run: nothing written)"
    assert redis.type("seller:state:c_iso") == b"string"


def test_the_migration_carries_the_states_over_and_runs_nothing(migration_day: dict[str, Any]) -> None:
    redis, service, marker = migration_day["redis"], migration_day["service"], migration_day["marker"]
    run = run_tool("--redis-url", migration_day["server"].url, "--service-url", service.url)
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert lines[-1] == "migrated 3, already migrated 0, ghosts 1, refused 3"
    refusals = {line.split(":")[0]: line for line in lines[:-1]}
    assert "posix.system" in refusals["refused c_evil"] and "not run" in refusals["refused c_evil"]
    assert "PrototypeState" in refusals["refused c_object"]
    assert "--default-location-id" in refusals["refused c_empty_location"]
    assert not marker.exists(), "unpickling ran the attacker's command"

    with SellerStateClient(service.url) as client:
        assert client.get("c_iso").document == prototype_dict("c_iso")  # type: ignore[union-attr]
        assert client.get("c_protocol0").document == prototype_dict("c_protocol0")  # type: ignore[union-attr]
        carried = client.get("c_datetimes").document  # type: ignore[union-attr]
        assert carried["last_interaction"] == "2026-01-23T10:31:00.000512+00:00"
        assert carried["conversation_started"] == "2026-01-20T09:00:00-05:00"
        assert carried["extracted_data"] == {"seen_at": "2026-01-21T08:00:00", "range": [150000, 180000]}
        listed = {row.contact_id for row in client.iter_active(location_id="loc_proto")}
        assert listed == {"c_iso", "c_protocol0", "c_datetimes"}
    # The refused values are left as they were, for a person to look at.
    assert redis.type("seller:state:c_evil") == b"string"

    again = run_tool("--redis-url", migration_day["server"].url, "--service-url", service.url)
    assert again.returncode == 0
    assert again.stdout.splitlines()[-1] == "migrated 0, already migrated 0, ghosts 0, refused 3"

    fallback = run_tool("--redis-url", migration_day["server"].url, "--service-url", service.url,
                        "--default-location-id", "loc_main")
    assert fallback.stdout.splitlines()[-1] == "migrated 1, already migrated 0, ghosts 0, refused 2"
    with SellerStateClient(service.url) as client:
        assert client.get("c_empty_location").document["location_id"] == "loc_main"  # type: ignore[union-attr]


def test_the_tool_says_when_it_cannot_run(migration_day: dict[str, Any], tmp_path: Path) -> None:
    migration_day["redis"].set("seller:state:c_late", pickle.dumps(prototype_dict("c_late")), ex=TTL)
    unreachable_service = run_tool("--redis-url", migration_day["server"].url, "--service-url", "http://127.0.0.1:9")
    assert unreachable_service.returncode == 1 and "could not run" in unreachable_service.stderr
    unreachable_redis = run_tool("--redis-url", "redis://:secret@127.0.0.1:9", "--service-url", migration_day["service"].url)
    assert unreachable_redis.returncode == 1 and "could not run" in unreachable_redis.stderr
    assert "secret" not in unreachable_redis.stderr
    assert run_tool("--service-url", "http://x").returncode == 2


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_every_pickle_protocol_reads(protocol: int) -> None:
    value = {"when": datetime(2026, 1, 23, 10, 30, 0, 7, tzinfo=timezone(timedelta(hours=5, minutes=30))),
             "nested": [{"n": 1, "f": 2.5, "t": True, "none": None}], "big": 12345678901234567890}
    assert load_state(pickle.dumps(value, protocol=protocol)) == {
        "when": "2026-01-23T10:30:00.000007+05:30", "nested": [{"n": 1, "f": 2.5, "t": True, "none": None}],
        "big": 12345678901234567890}


@pytest.mark.parametrize("value, reason", [
    ({"s": {1, 2}}, "is a set"),
    ({"b": b"raw"}, "is a bytes"),
    ({1: "x"}, "not a string"),
    (["not", "a", "dict"], "not a state dict"),
], ids=["set", "bytes", "int-key", "list"])
def test_values_json_cannot_hold_are_refused(value: Any, reason: str) -> None:
    with pytest.raises(RefusedPickle, match=reason):
        load_state(pickle.dumps(value, protocol=4))


def test_garbage_is_refused_not_crashed() -> None:
    with pytest.raises(RefusedPickle, match="not a readable pickle"):
        load_state(b"\x80\x04garbage")
