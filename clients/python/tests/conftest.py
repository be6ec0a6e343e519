"""Fixtures: one private redis-server and one service for the session (and a second service with
access control), the sync and the async client, and ids no other test uses."""
from __future__ import annotations

import uuid
from typing import Any, AsyncIterator, Iterator

import pytest
import pytest_asyncio
import redis as redis_py

from seller_state import AsyncSellerStateClient, SellerStateClient
from processes import RedisServer, Service
from support import Awaited

READ_TOKEN = "read-token-0123456789abcdef"
WRITE_TOKEN = "write-token-0123456789abcdef"


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def service(redis_server: RedisServer) -> Iterator[Service]:
    running = Service(redis_server.url)
    yield running
    running.stop()


@pytest.fixture(scope="session")
def guarded_service(redis_server: RedisServer) -> Iterator[Service]:
    """The same Redis behind a service with API_KEYS, under its own key prefix."""
    running = Service(redis_server.url, API_KEYS=f"read:{READ_TOKEN},write:{WRITE_TOKEN}", KEY_PREFIX="guarded:")
    yield running
    running.stop()


@pytest.fixture
def redis(redis_server: RedisServer) -> Iterator[redis_py.Redis]:
    connection = redis_py.Redis.from_url(redis_server.url)
    yield connection
    connection.close()


@pytest.fixture
def unique() -> str:
    """A prefix for the ids of one test: contacts and locations nobody else writes."""
    return "t" + uuid.uuid4().hex[:12]


@pytest_asyncio.fixture(params=["sync", "async"])
async def api(request: pytest.FixtureRequest, service: Service) -> AsyncIterator[Any]:
    """Either client, called with ``await``: every test that takes it runs once for each."""
    if request.param == "sync":
        with SellerStateClient(service.url) as client:
            yield Awaited(client)
    else:
        async with AsyncSellerStateClient(service.url) as client:
            yield client


@pytest.fixture
def client(service: Service) -> Iterator[SellerStateClient]:
    with SellerStateClient(service.url) as sync_client:
        yield sync_client

