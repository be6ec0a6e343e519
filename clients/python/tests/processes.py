"""Real processes for the tests: a private redis-server and the built service, each on a free
loopback port, stopped by PID. Nothing here touches a Redis the tests did not start."""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Optional

import httpx

REPOSITORY = Path(__file__).resolve().parents[3]
SERVER = REPOSITORY / "dist" / "src" / "server.js"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_until(ready, what: str, process: subprocess.Popen, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode}: {process.stdout.read() if process.stdout else ''}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not start within {timeout} s")
        time.sleep(0.05)


class RedisServer:
    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}"
        self._dir = tempfile.mkdtemp(prefix="seller-state-py-redis-")
        self._process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", self._dir],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        _wait_until(self._answers, "redis-server", self._process)

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as connection:
                connection.sendall(b"PING\r\n")
                return connection.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def pause(self, seconds: float) -> threading.Thread:
        """Freezes the server (SIGSTOP) for that long, in the background: nothing answers meanwhile."""
        os.kill(self._process.pid, signal.SIGSTOP)
        resume = threading.Timer(seconds, os.kill, (self._process.pid, signal.SIGCONT))
        resume.start()
        return resume

    def stop(self) -> None:
        os.kill(self._process.pid, signal.SIGCONT)
        self._process.kill()
        self._process.wait()
        shutil.rmtree(self._dir, ignore_errors=True)


class Service:
    """The built service (``npm run build``), as ``npm start`` runs it."""

    def __init__(self, redis_url: str, **env: str) -> None:
        if not SERVER.exists():
            subprocess.run(["npm", "run", "build"], cwd=REPOSITORY, check=True, stdout=subprocess.DEVNULL)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        environment = {**os.environ, "NODE_ENV": "test", "LOG_LEVEL": "warn", "SWEEP_INTERVAL_SECONDS": "0",
                       **env, "PORT": str(self.port), "HOST": "127.0.0.1", "REDIS_URL": redis_url}
        self._log = tempfile.TemporaryFile(mode="w+")
        self._process = subprocess.Popen(["node", str(SERVER)], cwd=REPOSITORY, env=environment,
                                         stdout=self._log, stderr=subprocess.STDOUT, text=True)
        _wait_until(self._ready, "the service", self._process)

    def _ready(self) -> bool:
        try:
            return httpx.get(f"{self.url}/health/ready", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def log(self) -> str:
        self._log.seek(0)
        return self._log.read()

    def stop(self) -> None:
        self._process.terminate()
        try:
            self._process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self._process.kill()
        self._log.close()


def stop_all(*processes: Optional[object]) -> None:
    for process in processes:
        if process is not None:
            process.stop()  # type: ignore[attr-defined]
