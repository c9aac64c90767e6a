"""Redis with high availability on this machine, for the tests and the benchmarks: real `redis-server` processes
(a master and two replicas) watched by three real `redis-sentinel` processes, on free 127.0.0.1 ports in a temporary
directory; and a `redis-server` that speaks only TLS, with a throw-away certificate authority (trustme).

`SentinelRedis` gives the `redis+sentinel://` URL opsbot reads, can order a failover (`SENTINEL FAILOVER`) and
wait until every sentinel names the new master and the old one replicates from it, and stops everything.
Timings are short (a master is "down" after 1 s) so that a test starts in about two seconds and a failover is
over in one or two. `TlsRedis` gives a `rediss://` URL whose query names its CA file.

Nothing is left running: stop() (run by the context manager, even when the body raises) terminates each process,
and the children get SIGTERM when the thread that started them dies."""

from __future__ import annotations

import signal
import subprocess
import tempfile
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from types import TracebackType
from typing import Any, Self, cast
from urllib.parse import quote

import redis

from fakes.daemon import die_with_parent, find_binary, free_port, reap

START_TIMEOUT = 20.0
SENTINELS = 3
_POLL = 0.05


@dataclass(frozen=True)
class Address:
    host: str
    port: int

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"


class _Processes:
    """The programs started so far, each with its log file; stopped in reverse order."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.running: list[tuple[subprocess.Popen[bytes], Path]] = []
        self._finalizer = weakref.finalize(self, _reap_all, self.running)

    def start(self, binary: str, name: str, config: str) -> subprocess.Popen[bytes]:
        conf = self.directory / f"{name}.conf"
        log = self.directory / f"{name}.log"
        conf.write_text(config + f"\nlogfile {log}\ndir {self.directory}\n", encoding="utf-8")
        process = subprocess.Popen(  # a fixed Debian binary, our own config file
            [binary, str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, preexec_fn=die_with_parent()
        )
        self.running.append((process, log))
        return process

    def check_alive(self) -> None:
        for process, log in self.running:
            if process.poll() is not None and process.returncode != -signal.SIGKILL:  # killed on purpose
                tail = (
                    "\n".join(log.read_text(encoding="utf-8", errors="replace").splitlines()[-15:])
                    if log.exists()
                    else ""
                )
                raise RuntimeError(f"{log.stem} exited with {process.returncode}:\n{tail}")

    def stop(self) -> None:
        self._finalizer()


def _reap_all(running: list[tuple[subprocess.Popen[bytes], Path]]) -> None:
    for process, _log in reversed(running):
        reap(process)
    running.clear()


class _Servers:
    """Programs in a temporary directory of their own, started on entering and all stopped on leaving (also when
    starting fails half-way)."""

    def __init__(self, prefix: str) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix=prefix)
        self._directory = Path(self._tmp.name)
        self._processes = _Processes(self._directory)

    def start(self) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        self._processes.stop()
        self._tmp.cleanup()

    def _until(self, condition: Callable[[], bool], what: str, timeout: float = START_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self._processes.check_alive()
            try:
                if condition():
                    return
            except (redis.RedisError, OSError):
                pass  # not listening yet, or in the middle of a change
            time.sleep(_POLL)  # another process's state: nothing to block on
        raise TimeoutError(f"waited {timeout:g} s for {what}")

    def __enter__(self) -> Self:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, _t: type[BaseException] | None, _e: BaseException | None, _tb: TracebackType | None) -> None:
        self.stop()


def _redis_server() -> str:
    return find_binary(("redis-server",), "redis-server is not installed (apt-get install redis-server)")


def _server_config(port: int, password: str | None) -> str:
    lines = [f"port {port}", "bind 127.0.0.1", 'save ""', "appendonly no", "repl-diskless-sync no"]
    if password is not None:
        lines += [f"requirepass {_quoted(password)}", f"masterauth {_quoted(password)}"]
    return "\n".join(lines)


class SentinelRedis(_Servers):
    """A master, `replicas` replicas (two by default, as Sentinel is meant to be run: after a failover the new
    master has the other replica at once) and three sentinels watching them as `service`. `password` (optional)
    protects the
    Redis servers (the sentinels themselves stay open, as most set-ups have them)."""

    def __init__(
        self,
        service: str = "opsbot",
        *,
        replicas: int = 2,
        password: str | None = None,
        down_after_ms: int = 1000,
        failover_timeout_ms: int = 4000,
    ) -> None:
        self.service = service
        self.replicas = replicas
        self.password = password
        self.down_after_ms = down_after_ms
        self.failover_timeout_ms = failover_timeout_ms
        super().__init__("opsbot-redis-ha-")
        self.servers: list[Address] = []
        self._server_processes: dict[Address, subprocess.Popen[bytes]] = {}
        self.sentinels: list[Address] = []

    # -- start and stop -------------------------------------------------------------------------------
    def start(self) -> None:
        server = _redis_server()
        sentinel = find_binary(("redis-sentinel",), "redis-sentinel is not installed (apt-get install redis-sentinel)")
        master = Address("127.0.0.1", free_port())
        self._server_processes[master] = self._processes.start(server, "master",
                                                               _server_config(master.port, self.password))  # fmt: skip
        self.servers = [master]
        for n in range(self.replicas):
            replica = Address("127.0.0.1", free_port())
            config = _server_config(replica.port, self.password) + f"\nreplicaof {master.host} {master.port}"
            self._server_processes[replica] = self._processes.start(server, f"replica-{n}", config)
            self.servers.append(replica)
        for replica in self.servers[1:]:
            self._until(partial(_replicating_at, self, replica), "the replicas to copy the master")
        for n in range(SENTINELS):
            address = Address("127.0.0.1", free_port())
            self._processes.start(sentinel, f"sentinel-{n}", self._sentinel_config(address.port, master))
            self.sentinels.append(address)
        self._until(self._sentinels_agree, "the sentinels to know each other and the replicas")

    def _sentinel_config(self, port: int, master: Address) -> str:
        name = self.service
        lines = [
            f"port {port}", "bind 127.0.0.1", f"sentinel monitor {name} {master.host} {master.port} 2",
            f"sentinel down-after-milliseconds {name} {self.down_after_ms}",
            f"sentinel failover-timeout {name} {self.failover_timeout_ms}", f"sentinel parallel-syncs {name} 1",
        ]  # fmt: skip
        if self.password is not None:
            lines.append(f"sentinel auth-pass {name} {_quoted(self.password)}")
        return "\n".join(lines)

    # -- what a client needs --------------------------------------------------------------------------
    @property
    def url(self) -> str:
        """redis+sentinel://[:password@]host:port,host:port,host:port/<service>"""
        auth = f":{quote(self.password, safe='')}@" if self.password is not None else ""
        return f"redis+sentinel://{auth}{','.join(map(str, self.sentinels))}/{self.service}"

    def master(self) -> Address:
        """The master as the first sentinel that answers names it."""
        for address in self.sentinels:
            try:
                found = self._named_by(address)
            except redis.RedisError:
                continue
            if found is not None:
                return found
        raise RuntimeError(f"no sentinel names a master for {self.service}")

    def server(self, address: Address) -> redis.Redis:
        """A plain client of one Redis server (to look at a master or a replica directly)."""
        return self._server(address)

    # -- failover -------------------------------------------------------------------------------------
    def failover(self, *, wait: bool = True, rejoined: bool = False) -> Address:
        """Order a failover through one sentinel. With `wait`, return once every sentinel names the new master
        and it takes writes; with `rejoined` too, once the old master replicates from it - which the sentinels
        arrange only at their next look at it, up to 10 s later (the other replicas follow at once).
        Returns the new master's address (with `wait=False`, the master before the failover)."""
        before = self.master()
        self._sentinel(self.sentinels[0]).sentinel_failover(self.service)
        if not wait:
            return before
        return self.wait_for_new_master(before, rejoined=rejoined)

    def crash_master(self, *, wait: bool = True) -> Address:
        """SIGKILL the master (a host that died, not a planned switch); with `wait`, return once the sentinels
        have promoted a replica - about down-after-milliseconds plus an election - with the new master's address
        (without, the dead master's)."""
        before = self.master()
        process = self._server_processes[before]
        process.kill()
        process.wait()
        return self.wait_for_new_master(before) if wait else before

    def wait_for_new_master(self, before: Address, *, rejoined: bool = False, timeout: float = 30.0) -> Address:
        self._until(lambda: self._all_name_other_than(before), "every sentinel to name the new master", timeout)
        after = self.master()
        self._until(lambda: _role(self._server(after)) == "master", "the new master to take writes", timeout)
        if rejoined:
            self._until(lambda: _replicating(self._server(before)), "the old master to follow the new one", timeout)
        return after

    def _all_name_other_than(self, before: Address) -> bool:
        named = set()
        for address in self.sentinels:
            named.add(self._named_by(address))
        return len(named) == 1 and before not in named

    # -- helpers --------------------------------------------------------------------------------------
    def _named_by(self, sentinel: Address) -> Address | None:
        found = cast(tuple[str, int] | None, self._sentinel(sentinel).sentinel_get_master_addr_by_name(self.service))
        return None if found is None else Address(_text(found[0]), int(found[1]))

    def _sentinels_agree(self) -> bool:
        for address in self.sentinels:
            state = cast(dict[str, Any], self._sentinel(address).sentinel_master(self.service))
            if state["num-other-sentinels"] < SENTINELS - 1 or state["num-slaves"] < self.replicas:
                return False
            if state["is_sdown"] or state["is_odown"]:
                return False
        return True

    def _server(self, address: Address) -> redis.Redis:
        return _client(address, self.password)

    def _sentinel(self, address: Address) -> redis.Redis:
        return _client(address, None)


class TlsRedis(_Servers):
    """A `redis-server` listening only with TLS, its certificate for 127.0.0.1 issued by a fresh trustme CA."""

    def __init__(self) -> None:
        super().__init__("opsbot-redis-tls-")
        self.address = Address("127.0.0.1", 0)
        self.ca_file = self._directory / "ca.pem"

    def start(self) -> None:
        import trustme  # the dev extra has it; only tests and benchmarks make certificates

        server = _redis_server()
        authority = trustme.CA()
        issued = authority.issue_cert("127.0.0.1", "localhost")
        authority.cert_pem.write_to_path(str(self.ca_file))
        cert, key = self._directory / "server.pem", self._directory / "server.key"
        issued.cert_chain_pems[0].write_to_path(str(cert))
        issued.private_key_pem.write_to_path(str(key))
        self.address = Address("127.0.0.1", free_port())
        config = "\n".join([
            "port 0", f"tls-port {self.address.port}", "bind 127.0.0.1", 'save ""', "appendonly no",
            f"tls-cert-file {cert}", f"tls-key-file {key}", f"tls-ca-cert-file {self.ca_file}", "tls-auth-clients no",
        ])  # fmt: skip
        self._processes.start(server, "tls", config)
        self._until(self._answers, "redis-server with TLS")

    def _answers(self) -> bool:
        with redis.Redis.from_url(self.url, socket_timeout=2) as probe:
            return bool(probe.ping())

    @property
    def url(self) -> str:
        """rediss://127.0.0.1:PORT/0?ssl_ca_certs=<the CA file>"""
        return f"rediss://{self.address}/0?ssl_ca_certs={quote(str(self.ca_file), safe='/')}"


def _quoted(value: str) -> str:
    """A value as a Redis config file reads it back exactly."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _client(address: Address, password: str | None) -> redis.Redis:
    """One connection, made for one question and closed when it is dropped (no pool left behind)."""
    return redis.Redis(address.host, address.port, password=password, socket_timeout=2, single_connection_client=True)


def _replicating_at(cluster: SentinelRedis, address: Address) -> bool:
    return _replicating(cluster.server(address))


def _replicating(server: redis.Redis) -> bool:
    info = server.info("replication")
    return info.get("role") == "slave" and info.get("master_link_status") == "up"


def _role(server: redis.Redis) -> str:
    return _text(server.role()[0])


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
