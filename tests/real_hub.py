"""A real JupyterHub on loopback for the hub-notice tests and the sandbox run (not a double).

It runs JupyterHub with configurable-http-proxy (installed by scripts/install.sh under .venv/node),
the jupyterhub-announcement service and user servers started by SimpleLocalProcessSpawner as
``jupyterhub-singleuser`` processes with their home directories under the given directory.
The DummyAuthenticator accepts any user. The service ``labshift-switch`` has the admin role, as
the switch guide configures it for a lab's hub.

Command line (used by scripts/start-doubles.sh):
``python -m tests.real_hub --directory output/sandbox/hub --port 18300 --users alice,bob``
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.request import Request, urlopen

REPO_ROOT = Path(__file__).resolve().parents[1]
PROXY = REPO_ROOT / ".venv" / "node" / "node_modules" / ".bin" / "configurable-http-proxy"
VENV_BIN = Path(sys.executable).parent

CONFIG = """\
import sys
c = get_config()  # noqa: F821
c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = {port}
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = {hub_port}
c.ConfigurableHTTPProxy.command = [{proxy!r}]
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{proxy_api_port}"
c.ConfigurableHTTPProxy.auth_token = {proxy_token!r}
c.JupyterHub.db_url = "sqlite:///{directory}/jupyterhub.sqlite"
c.JupyterHub.cookie_secret_file = "{directory}/jupyterhub_cookie_secret"
c.JupyterHub.pid_file = "{directory}/jupyterhub.pid"
c.JupyterHub.authenticator_class = "dummy"
c.Authenticator.allow_all = True
c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = "{directory}/home/{{username}}"
c.Spawner.args = ["--allow-root"]
c.Spawner.http_timeout = 60
# Short stop timeouts for user servers and the service, so the hub's own cleanup ends quickly.
c.LocalProcessSpawner.interrupt_timeout = 2
c.LocalProcessSpawner.term_timeout = 2
c.LocalProcessSpawner.kill_timeout = 2
c.JupyterHub.tornado_settings = {{"slow_spawn_timeout": 0}}
c.JupyterHub.services = [
    {{
        "name": "announcement",
        "url": "http://127.0.0.1:{announcement_port}",
        "oauth_no_confirm": True,
        "command": [sys.executable, "{directory}/announcement_loopback.py",
                    "--AnnouncementService.port={announcement_port}"],
    }},
    {{"name": "labshift-switch", "api_token": {switch_token!r}}},
]
c.JupyterHub.load_roles = [
    {{"name": "admin", "services": ["labshift-switch"]}},
    {{"name": "user", "scopes": ["self", "access:services!service=announcement"]}},
]
"""


# jupyterhub-announcement 0.9.3 listens on every interface and has no address setting, so the
# tests start it through this wrapper, which binds it to loopback.
ANNOUNCEMENT_LOOPBACK = """\
import tornado.web

from jupyterhub_announcement.announcement import main

_listen = tornado.web.Application.listen


def listen_on_loopback(self, port, address="", **kwargs):
    return _listen(self, port, address="127.0.0.1", **kwargs)


tornado.web.Application.listen = listen_on_loopback
main()
"""


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class RealHub:
    """A running hub: its public URL, the admin service token and where user homes are."""

    url: str
    switch_token: str
    directory: Path
    process: subprocess.Popen[bytes]

    def home(self, user: str) -> Path:
        return self.directory / "home" / user

    def api(self, method: str, path: str, body: Any = None, token: str | None = None) -> tuple[int, Any]:
        data = None if body is None else json.dumps(body).encode()
        request = Request(
            self.url + path.lstrip("/"),
            data=data,
            method=method,
            headers={"Authorization": f"token {token or self.switch_token}"},
        )
        try:
            with urlopen(request, timeout=30) as response:
                raw = response.read()
                status = int(response.status)
        except HTTPError as error:
            raw, status = error.read(), int(error.code)
        try:
            return status, json.loads(raw or b"null")
        except ValueError:
            return status, raw.decode("utf-8", "replace")

    def start_servers(self, users: Sequence[str], timeout: float = 90.0) -> None:
        """Create ``users`` and start their default servers, then wait until every one is ready."""
        for user in users:
            self.home(user).mkdir(parents=True, exist_ok=True)
            status, _ = self.api("POST", f"hub/api/users/{user}")
            if status not in (201, 409):
                raise RuntimeError(f"creating hub user {user} answered HTTP {status}")
            status, body = self.api("POST", f"hub/api/users/{user}/server")
            if status not in (201, 202, 400):
                raise RuntimeError(f"starting {user}'s server answered HTTP {status}: {body}")
        deadline = time.monotonic() + timeout
        waiting = list(users)
        while waiting:
            if time.monotonic() > deadline:
                raise RuntimeError(f"hub servers not ready within {timeout:g} s: {', '.join(waiting)}")
            time.sleep(0.5)
            for user in list(waiting):
                status, model = self.api("GET", f"hub/api/users/{user}")
                if status == 200 and (model.get("servers") or {}).get("", {}).get("ready"):
                    waiting.remove(user)

    def create_user(self, user: str) -> None:
        """Create a hub user without starting a server."""
        self.home(user).mkdir(parents=True, exist_ok=True)
        self.api("POST", f"hub/api/users/{user}")

    def latest_announcement(self) -> str:
        status, body = self.api("GET", "services/announcement/latest")
        if status != 200:
            raise RuntimeError(f"announcement service answered HTTP {status}")
        return str(body.get("announcement") or "")

    def announcements(self) -> list[dict[str, Any]]:
        status, body = self.api("GET", "services/announcement/list?limit=100")
        if status != 200:
            raise RuntimeError(f"announcement service answered HTTP {status}")
        return list(body)


@contextmanager
def running_hub(directory: Path, port: int | None = None, start_timeout: float = 60.0) -> Iterator[RealHub]:
    """Start JupyterHub with its proxy and announcement service in ``directory``; stop it on exit."""
    if not PROXY.exists():
        raise RuntimeError(
            f"{PROXY} is missing: run scripts/install.sh, which installs configurable-http-proxy"
        )
    directory = directory.resolve()
    (directory / "home").mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    switch_token = secrets.token_hex(24)
    config = CONFIG.format(
        port=port,
        hub_port=free_port(),
        proxy=str(PROXY),
        proxy_api_port=free_port(),
        proxy_token=secrets.token_hex(24),
        directory=directory,
        announcement_port=free_port(),
        switch_token=switch_token,
    )
    (directory / "jupyterhub_config.py").write_text(config, encoding="utf-8")
    (directory / "announcement_loopback.py").write_text(ANNOUNCEMENT_LOOPBACK, encoding="utf-8")
    env = dict(os.environ, PATH=f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    log = (directory / "jupyterhub.log").open("wb")

    process = subprocess.Popen(
        [str(VENV_BIN / "jupyterhub"), "-f", str(directory / "jupyterhub_config.py")],
        cwd=directory,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    hub = RealHub(
        url=f"http://127.0.0.1:{port}/", switch_token=switch_token, directory=directory, process=process
    )
    try:
        wait_ready(hub, start_timeout)
        yield hub
    finally:
        stop(process)
        log.close()


def wait_ready(hub: RealHub, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if hub.process.poll() is not None:
            raise RuntimeError(f"JupyterHub exited; see {hub.directory / 'jupyterhub.log'}")
        try:
            if (
                hub.api("GET", "hub/api/")[0] == 200
                and hub.api("GET", "services/announcement/latest")[0] == 200
            ):
                return
        except (URLError, OSError):
            pass
        time.sleep(0.5)
    raise RuntimeError(f"JupyterHub not ready within {timeout:g} s; see {hub.directory / 'jupyterhub.log'}")


def descendants(pid: int) -> list[int]:
    """List the processes below ``pid``, read from /proc (the proxy and services run in new sessions)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text(encoding="utf-8").rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found: list[int] = []
    queue = [pid]
    while queue:
        for child in children.get(queue.pop(), []):
            found.append(child)
            queue.append(child)
    return found


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop the hub and everything it started (proxy, service, user servers).

    The hub gets 5 seconds for its own cleanup, which can wait longer on the announcement service.
    Whatever it started is killed afterwards either way.
    """
    started = descendants(process.pid)
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
    for pid in started:
        with suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--directory", type=Path, required=True)
    parser.add_argument("--port", type=int, default=18300)
    parser.add_argument("--users", default="", help="comma-separated users whose servers to start")
    args = parser.parse_args(argv)
    with running_hub(args.directory, args.port) as hub:
        users = [user for user in args.users.split(",") if user]
        hub.start_servers(users)
        (args.directory / "switch-token").write_text(hub.switch_token + "\n", encoding="utf-8")
        (args.directory / "switch-token").chmod(0o600)
        print(f"JupyterHub ready at {hub.url} with servers for {', '.join(users) or 'nobody'}", flush=True)
        stopping = []
        signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
        while not stopping and hub.process.poll() is None:
            time.sleep(1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
