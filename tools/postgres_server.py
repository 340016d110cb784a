"""A throw-away PostgreSQL cluster on loopback, for the tests (standard library only).

Finds the server binaries (``--bindir``, ``$HIKEWOO_POSTGRES_BINDIR``, ``pg_config
--bindir``, Debian's ``/usr/lib/postgresql/*/bin``, then ``PATH``), installs them with
``apt-get install postgresql`` when they are missing and asked to (``--install``, as
root), creates a cluster with ``initdb`` in a fresh temporary directory, and starts it
listening on ``127.0.0.1`` only, on a free port, with its unix socket inside that
directory. Its one role, ``hikewoo``, has a random password (``scram-sha-256`` on every
connection), so nobody else on the machine can use it. It is a test cluster: no fsync,
nothing kept. Stopping it (``pg_ctl stop -m fast``) removes the directory.

``initdb`` and ``postgres`` refuse to run as root: when this runs as root, they run as
user ``postgres`` (created by Debian's package), else ``nobody``
(``$HIKEWOO_POSTGRES_RUN_AS`` picks another), and the directory is theirs.

As a script::

    eval "$(python tools/postgres_server.py start --install --shell)"
    # ... $HIKEWOO_TEST_POSTGRES_DSN is set; $HIKEWOO_POSTGRES_DIR is the cluster's
    python tools/postgres_server.py stop "$HIKEWOO_POSTGRES_DIR"

``start`` prints the DSN alone without ``--shell``. As a module::

    from postgres_server import start_server
    with start_server() as server:
        print(server.dsn)   # postgresql://hikewoo:...@127.0.0.1:PORT/postgres

Exit status: 0 on success; 2 when no binaries are found (and none could be installed);
1 when the cluster failed to start (its log is printed).
"""

from __future__ import annotations

import argparse
import contextlib
import glob
import json
import os
import pwd
import secrets
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

__all__ = [
    "NoServerBinaries",
    "PostgresServer",
    "ServerStartError",
    "find_bindir",
    "install_postgres",
    "start_server",
    "stop_server",
]

#: The one role of the cluster (its superuser).
ROLE = "hikewoo"
#: Written into the cluster's directory: what ``stop`` needs to find and stop it.
STATE_FILE = "server.json"
#: Settings of a throw-away test cluster: loopback only, nothing synced to disk.
SERVER_SETTINGS = {
    "listen_addresses": "127.0.0.1",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "200",
    "shared_buffers": "32MB",
    "timezone": "UTC",
    "log_timezone": "UTC",
}
_NEEDED = ("initdb", "pg_ctl", "postgres")
_START_TIMEOUT = 60  # seconds pg_ctl waits for the server to accept connections
_PORT_ATTEMPTS = 5  # a free port can be taken between choosing and binding it


class NoServerBinaries(RuntimeError):
    """No PostgreSQL server binaries here (and none were installed)."""


class ServerStartError(RuntimeError):
    """``initdb`` or ``pg_ctl start`` failed; the message carries the server's log."""


def _is_root() -> bool:
    return getattr(os, "geteuid", lambda: -1)() == 0


def _complete(directory: Path) -> bool:
    return all((directory / name).is_file() for name in _NEEDED)


def find_bindir(explicit: str | os.PathLike[str] | None = None) -> Path | None:
    """The directory holding ``initdb``, ``pg_ctl`` and ``postgres``, or ``None``."""
    candidates: list[Path] = []
    for given in (explicit, os.environ.get("HIKEWOO_POSTGRES_BINDIR")):
        if given:
            candidates.append(Path(given))
    if shutil.which("pg_config"):
        try:
            out = subprocess.run(
                ["pg_config", "--bindir"],  # noqa: S607 - looked up on PATH on purpose
                capture_output=True,
                text=True,
                check=True,
                timeout=30,
            ).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            out = ""
        if out:
            candidates.append(Path(out))

    def version(path: str) -> tuple[int, ...]:
        name = Path(path).parent.name
        return tuple(int(p) for p in name.split(".") if p.isdigit())

    debian = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=version, reverse=True)
    candidates += [Path(p) for p in debian]
    initdb = shutil.which("initdb")
    if initdb:
        candidates.append(Path(initdb).resolve().parent)
        candidates.append(Path(initdb).parent)
    for candidate in candidates:
        if _complete(candidate):
            return candidate
    return None


def install_postgres() -> bool:
    """``apt-get install postgresql`` (as root, where apt-get exists); True if it ran."""
    if not _is_root() or not shutil.which("apt-get"):
        return False
    print("PostgreSQL is missing: apt-get install -y postgresql", file=sys.stderr, flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    try:
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)  # noqa: S607
        install = ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "postgresql"]
        subprocess.run(install, check=True, env=env)  # noqa: S603 - a fixed command
    except (OSError, subprocess.CalledProcessError) as exc:
        print(f"apt-get could not install PostgreSQL: {exc}", file=sys.stderr)
        return False
    return True


@dataclass(frozen=True)
class _RunAs:
    """The unprivileged user the server runs as when this process is root."""

    name: str
    uid: int
    gid: int

    @classmethod
    def choose(cls) -> _RunAs | None:
        if not _is_root():
            return None
        wanted = os.environ.get("HIKEWOO_POSTGRES_RUN_AS")
        for name in (wanted,) if wanted else ("postgres", "nobody"):
            try:
                entry = pwd.getpwnam(name)
            except KeyError:
                continue
            if entry.pw_uid != 0:
                return cls(name, entry.pw_uid, entry.pw_gid)
        raise ServerStartError(
            "running as root, but there is no unprivileged user to run PostgreSQL as "
            "(initdb refuses root): create user 'postgres' or set HIKEWOO_POSTGRES_RUN_AS"
        )


def _run(cmd: Sequence[str], run_as: _RunAs | None, **kw: Any) -> subprocess.CompletedProcess[str]:
    """Run ``cmd`` (as ``run_as`` when given: setuid in the child, no runuser needed)."""
    if run_as is not None:
        kw.update(user=run_as.uid, group=run_as.gid, extra_groups=[])
        kw.setdefault("env", {**os.environ, "HOME": tempfile.gettempdir(), "USER": run_as.name})
    return subprocess.run(  # noqa: S603 - binaries found above, arguments built here
        list(cmd), capture_output=True, text=True, check=False, timeout=120, **kw
    )


def _traversable(path: Path) -> bool:
    """Whether every directory above ``path`` lets other users through (o+x)."""
    for parent in [path, *path.parents]:
        try:
            if not parent.stat().st_mode & 0o001:
                return False
        except OSError:
            return False
    return True


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class PostgresServer:
    """A running throw-away cluster. :meth:`stop` (or leaving ``with``) removes it."""

    base: Path
    bindir: Path
    port: int
    password: str = field(repr=False)
    run_as: str | None = None
    user: str = ROLE

    @property
    def data(self) -> Path:
        """The cluster's data directory."""
        return self.base / "data"

    @property
    def socket_dir(self) -> Path:
        """Where the server's unix socket is."""
        return self.base / "socket"

    @property
    def dsn(self) -> str:
        """A libpq URL for database ``postgres`` as the cluster's superuser (has the
        password: do not log it)."""
        return self.dsn_for("postgres")

    def dsn_for(self, dbname: str) -> str:
        """The DSN of another database of this cluster."""
        return f"postgresql://{self.user}:{self.password}@127.0.0.1:{self.port}/{dbname}"

    def stop(self) -> None:
        """``pg_ctl stop -m fast``, then remove the directory (idempotent)."""
        stop_server(self.base)

    def __enter__(self) -> PostgresServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def start_server(
    *,
    install: bool = False,
    bindir: str | os.PathLike[str] | None = None,
    parent: str | os.PathLike[str] | None = None,
) -> PostgresServer:
    """Create and start a cluster; see the module's docstring.

    Raises :class:`NoServerBinaries` when no binaries are found (after installing them,
    with ``install``, if that was possible) and :class:`ServerStartError` when the
    cluster does not start.
    """
    found = find_bindir(bindir)
    if found is None and install and install_postgres():
        found = find_bindir(bindir)
    if found is None:
        raise NoServerBinaries(
            "no PostgreSQL server binaries (initdb, pg_ctl, postgres) found via pg_config, "
            "/usr/lib/postgresql/*/bin or PATH; install them (Debian: apt-get install "
            "postgresql) or set HIKEWOO_POSTGRES_BINDIR"
        )
    run_as = _RunAs.choose()
    root = Path(parent or tempfile.gettempdir())
    if run_as is not None and not _traversable(root):
        root = Path("/tmp")  # noqa: S108 - the unprivileged user must reach the directory
    base = Path(tempfile.mkdtemp(prefix="hikewoo-pg-", dir=root))
    try:
        return _init_and_start(base, found, run_as)
    except BaseException:
        shutil.rmtree(base, ignore_errors=True)
        raise


def _init_and_start(base: Path, bindir: Path, run_as: _RunAs | None) -> PostgresServer:
    password = secrets.token_urlsafe(18)
    (base / "socket").mkdir()
    pwfile = base / "pwfile"
    pwfile.write_text(password + "\n")
    pwfile.chmod(0o600)
    if run_as is not None:
        for path in (base, base / "socket", pwfile):
            os.chown(path, run_as.uid, run_as.gid)
    init = _run(
        [
            str(bindir / "initdb"),
            "--pgdata",
            str(base / "data"),
            "--username",
            ROLE,
            "--pwfile",
            str(pwfile),
            "--auth",
            "scram-sha-256",
            "--encoding",
            "UTF8",
            "--locale",
            "C",
            "--no-sync",
        ],
        run_as,
    )
    pwfile.unlink()
    if init.returncode != 0:
        raise ServerStartError(f"initdb failed:\n{init.stdout}\n{init.stderr}")
    log = base / "server.log"
    for _ in range(_PORT_ATTEMPTS):
        server = PostgresServer(
            base=base,
            bindir=bindir,
            port=_free_port(),
            password=password,
            run_as=None if run_as is None else run_as.name,
        )
        settings = {
            **SERVER_SETTINGS,
            "port": str(server.port),
            "unix_socket_directories": str(server.socket_dir),
        }
        options = " ".join(f"-c {k}={shlex.quote(v)}" for k, v in settings.items())
        _write_state(server)
        started = _run(
            [
                str(bindir / "pg_ctl"),
                "start",
                "--pgdata",
                str(server.data),
                "--log",
                str(log),
                "--wait",
                "--timeout",
                str(_START_TIMEOUT),
                "--options",
                options,
            ],
            run_as,
        )
        if started.returncode == 0:
            return server
        text = log.read_text(errors="replace") if log.exists() else ""
        if "could not bind" not in text and "Address already in use" not in text:
            raise ServerStartError(f"pg_ctl start failed:\n{started.stderr}\n{text}")
    raise ServerStartError(f"no free port after {_PORT_ATTEMPTS} attempts")


def _write_state(server: PostgresServer) -> None:
    state = {"bindir": str(server.bindir), "port": server.port, "run_as": server.run_as}
    (server.base / STATE_FILE).write_text(json.dumps(state))


def stop_server(base: str | os.PathLike[str]) -> None:
    """Stop the cluster created in ``base`` (``pg_ctl stop -m fast``) and remove ``base``.

    Does nothing if ``base`` is gone; removes it even when the server was not running.
    """
    base = Path(base)
    state_file = base / STATE_FILE
    if state_file.is_file() and (base / "data" / "postmaster.pid").exists():
        state = json.loads(state_file.read_text())
        run_as = None
        if state.get("run_as") and _is_root():
            entry = pwd.getpwnam(state["run_as"])
            run_as = _RunAs(entry.pw_name, entry.pw_uid, entry.pw_gid)
        pg_ctl = str(Path(state["bindir"]) / "pg_ctl")
        stop = [pg_ctl, "stop", "--pgdata", str(base / "data"), "--mode", "fast", "--wait"]
        done = _run(stop, run_as)
        if done.returncode != 0:  # a server that will not stop must not outlive its files
            _run([*stop[:-2], "immediate", "--wait"], run_as)
    shutil.rmtree(base, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    start = sub.add_parser("start", help="create and start a cluster; print its DSN")
    start.add_argument("--install", action="store_true", help="apt-get install when missing")
    start.add_argument("--bindir", help="the server binaries' directory")
    start.add_argument("--parent", help="where the cluster's temp directory goes")
    start.add_argument(
        "--shell",
        action="store_true",
        help="print HIKEWOO_TEST_POSTGRES_DSN=... and HIKEWOO_POSTGRES_DIR=... for eval",
    )
    stop = sub.add_parser("stop", help="stop a cluster and remove its directory")
    stop.add_argument("dir", help="the directory start printed (HIKEWOO_POSTGRES_DIR)")
    sub.add_parser("find", help="print the binaries' directory (exit 2 if none)")
    args = parser.parse_args(argv)

    if args.command == "find":
        found = find_bindir()
        if found is None:
            return 2
        print(found)
        return 0
    if args.command == "stop":
        stop_server(args.dir)
        return 0
    try:
        server = start_server(install=args.install, bindir=args.bindir, parent=args.parent)
    except NoServerBinaries as exc:
        print(exc, file=sys.stderr)
        return 2
    except ServerStartError as exc:
        print(exc, file=sys.stderr)
        return 1
    if args.shell:
        print(f"export HIKEWOO_TEST_POSTGRES_DSN={shlex.quote(server.dsn)}")
        print(f"export HIKEWOO_POSTGRES_DIR={shlex.quote(str(server.base))}")
    else:
        print(server.dsn)
    return 0


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
