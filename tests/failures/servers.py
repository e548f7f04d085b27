"""Servers of the failure tests' own, which a test may kill and restart without touching the shared ones:
a redis-server, a PostgreSQL cluster, a Celery worker."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import redis

from tests.polling import wait_for

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class PrivateRedis:
    """A redis-server on a free port, without persistence."""

    def __init__(self):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
            + ["--save", "", "--appendonly", "no", "--daemonize", "no"],
            stdout=subprocess.DEVNULL,
        )
        assert wait_for(self.answers, timeout=20), "the private redis-server did not start"

    def kill(self):
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def answers(self) -> bool:
        try:
            return self.client().ping()
        except redis.RedisError:
            return False

    def client(self):
        return redis.Redis.from_url(self.url, socket_connect_timeout=1)


def postgres_bindir() -> Path | None:
    """Where initdb and pg_ctl live (Debian keeps them out of PATH), newest version first."""
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]))
    return candidates[-1].parent if candidates else None


class PrivateCluster:
    """A PostgreSQL cluster in a temporary folder, on a free port, stopped and started at will.

    PostgreSQL refuses to run as root, so as root its commands run as the `postgres` user.
    """

    def __init__(self, bindir: Path):
        self.bindir = bindir
        self.folder = Path(tempfile.mkdtemp(prefix="crm-failures-pg-"))
        self.data = self.folder / "data"
        self.port = free_port()
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/postgres"
        self.as_user = "postgres" if os.geteuid() == 0 else None
        if self.as_user:
            shutil.chown(self.folder, user=self.as_user)

    def _run(self, program, *args):
        subprocess.run(
            [str(self.bindir / program), *args], check=True, user=self.as_user, capture_output=True, timeout=120
        )

    def init(self):
        options = ["-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale", "C.UTF-8", "--no-sync"]
        self._run("initdb", "-D", str(self.data), *options)

    def start(self):
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.folder / "log"), "-o", options, "-w", "start")

    def stop(self):
        """Fast shutdown: open sessions are cut, as in a restart under load."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def remove(self):
        if (self.data / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.folder, ignore_errors=True)


def start_worker(tmp_path, *, database_url, broker_url, settings=None):
    """A real Celery worker (prefork, one child) in its own process group, so a test can kill all of it.

    Without -Q it consumes every queue the settings declare (the scheduled jobs' and the imports'); `settings`
    are further environment variables for it.
    """
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "crm.settings",
        "DEBUG": "true",
        "DATABASE_URL": database_url,
        "REDIS_URL": broker_url,
        "CELERY_FOLDER": str(tmp_path / "celery"),
        **(settings or {}),
    }
    command = [sys.executable, "-m", "celery", "-A", "crm", "worker", "--concurrency", "1", "--loglevel", "INFO"]
    command += ["--without-gossip", "--without-mingle", "--without-heartbeat"]
    log = open(tmp_path / "worker.log", "w")  # noqa: SIM115 - closed with the process
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def pool_children(worker) -> list[int]:
    """The prefork pool's processes: where tasks run."""
    children = Path(f"/proc/{worker.pid}/task/{worker.pid}/children")
    return [int(pid) for pid in children.read_text().split()] if children.exists() else []


def kill_worker(worker):
    """SIGKILL to the whole worker, parent and pool: what a crash or an OOM kill of the container does."""
    if worker.poll() is None:
        os.killpg(worker.pid, signal.SIGKILL)
    worker.wait()
