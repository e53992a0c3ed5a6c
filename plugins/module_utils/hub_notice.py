"""Room-closing notices through JupyterHub, for the users of the nodes that a switch hands back.

Two channels reach a user:

- the hub-wide announcement of the jupyterhub-announcement service, shown on the hub's pages. The
  service takes updates from its own form only, from an admin, so the client reads the form's XSRF
  value with the token and posts the form as a browser would;
- a notice file written into each running user server through the Jupyter server contents API
  (``/user/<name>/<server>/api/contents/<file>``), which the user sees in the file browser. A file of
  that name that LabShift did not write is left untouched, so nothing a user saved is replaced.

KubeSpawner puts the hub user name and server name on every user pod as the annotations
``hub.jupyter.org/username`` and ``hub.jupyter.org/servername``. Those annotations map the pods on a
node to the servers to notify.
"""

from __future__ import annotations

import html
import json
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from http.cookiejar import CookieJar
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.parse import quote, urlencode

from ansible.module_utils.urls import Request

from ansible_collections.labshift.lab.plugins.module_utils.k8s_api import PodView
from ansible_collections.labshift.lab.plugins.module_utils.messages import LabShiftError, register

USERNAME_ANNOTATION = "hub.jupyter.org/username"
SERVERNAME_ANNOTATION = "hub.jupyter.org/servername"
# First line of every notice file; a file without it belongs to the user.
NOTICE_MARKER = "# LabShift notice"

register(
    {
        "hub.request.failed": {
            "zh": "JupyterHub 请求 {method} {url} 失败：{error}",
            "en": "JupyterHub request {method} {url} failed: {error}",
        },
        "hub.announcement.not_admin": {
            "zh": "公告服务 {url} 没有给出发布表单：labshift_switch_hub_token 所属的服务或用户"
            "需要 JupyterHub 的 admin 角色（jupyterhub-announcement 只接受管理员发布公告）。",
            "en": "the announcement service {url} showed no update form: the service or user of "
            "labshift_switch_hub_token needs JupyterHub's admin role (jupyterhub-announcement takes "
            "announcements from admins only).",
        },
        "hub.server.not_running": {
            "zh": "{user} 的服务器 {server!r} 没有运行（HTTP {status}），未写入通知",
            "en": "{user}'s server {server!r} is not running (HTTP {status}), so no notice was written",
        },
        "hub.server.timeout": {
            "zh": "{seconds:g} 秒内未写完通知，已放弃以免耽误交还",
            "en": "the notice was not written within {seconds:g} s and was given up, "
            "so the hand-back keeps its time",
        },
        "hub.server.user_file": {
            "zh": "{user} 的服务器里已有用户自己的 {name}，未覆盖",
            "en": "{user}'s server already has the user's own {name}, which was left untouched",
        },
    }
)


class HubError(LabShiftError):
    """A JupyterHub request that failed; the switch warns and goes on."""


@dataclass(frozen=True, order=True)
class UserServer:
    """One user server that runs on a node being handed back."""

    user: str
    server: str
    node: str

    @property
    def path(self) -> str:
        """The server's URL path below the hub's public URL, ending in a slash."""
        path = f"user/{quote(self.user, safe='')}/"
        return path + (f"{quote(self.server, safe='')}/" if self.server else "")


def servers_on_nodes(pods: Iterable[PodView]) -> list[UserServer]:
    """Return the JupyterHub user servers among ``pods``, one entry per server, sorted."""
    servers = {
        UserServer(
            user=pod.annotations[USERNAME_ANNOTATION],
            server=pod.annotations.get(SERVERNAME_ANNOTATION, ""),
            node=pod.node,
        )
        for pod in pods
        if pod.annotations.get(USERNAME_ANNOTATION)
    }
    return sorted(servers)


def notice_file_text(notice: str) -> str:
    """Build the notice file's content: the marker line, then the notice."""
    return f"{NOTICE_MARKER}\n\n{notice.strip()}\n"


def _plain(text: str) -> str:
    """Reduce an announcement to comparable text: no tags, entities resolved, NFKC-normalized (as
    the service's sanitizer normalizes what it keeps) and single spaces."""
    unescaped = html.unescape(re.sub(r"<[^>]+>", " ", text))
    return " ".join(unicodedata.normalize("NFKC", unescaped).split())


def announcement_html(notice: str) -> str:
    """Format the notice as HTML paragraphs with every non-ASCII character as a numeric reference.

    jupyterhub-announcement's sanitizer (html-sanitizer) NFKC-normalizes text, which turns Chinese
    full-width punctuation such as "：" into ASCII; numeric references pass through it unchanged.
    """
    paragraphs = [
        html.escape(part.strip()).encode("ascii", "xmlcharrefreplace").decode("ascii")
        for part in notice.split("\n")
        if part.strip()
    ]
    return "".join(f"<p>{part}</p>" for part in paragraphs)


class HubClient:
    """Calls to one JupyterHub, through its public URL (the proxy), with a service or user token."""

    def __init__(self, hub_url: str, token: str, timeout: float = 10.0, validate_certs: bool = True) -> None:
        self.hub_url = hub_url.rstrip("/") + "/"
        self.token = token
        self.timeout = timeout
        self.validate_certs = validate_certs

    def _request(self, method: str, path: str, data: str | None = None, **options: Any) -> tuple[int, str]:
        """Send one request and return the status and body; 4xx and 5xx responses return as statuses."""
        url = self.hub_url + path.lstrip("/")
        headers = {"Authorization": f"token {self.token}", **options.pop("headers", {})}
        request = Request(timeout=self.timeout, validate_certs=self.validate_certs, **options)
        try:
            response = request.open(method, url, data=data, headers=headers)
            return int(response.status), response.read().decode("utf-8", "replace")
        except HTTPError as error:
            return int(error.code), error.read().decode("utf-8", "replace")
        except (URLError, OSError, ValueError) as error:
            raise HubError("hub.request.failed", method=method, url=url, error=error) from None

    def _expect(self, method: str, path: str, status: int, body: str, expected: Iterable[int]) -> None:
        if status not in expected:
            detail = f"HTTP {status}: {_plain(body)[:200]}"
            url = self.hub_url + path.lstrip("/")
            raise HubError("hub.request.failed", method=method, url=url, error=detail)

    def latest_announcement(self, prefix: str) -> str:
        path = prefix.rstrip("/") + "/latest"
        status, body = self._request("GET", path)
        self._expect("GET", path, status, body, (200,))
        return str(json.loads(body).get("announcement") or "")

    def announce(self, prefix: str, notice: str) -> bool:
        """Post ``notice`` as the announcement of the service at ``prefix``.

        Returns False without posting when the latest announcement has the same text, so a re-run
        after a crash adds no second copy.
        """
        text = announcement_html(notice)
        if _plain(self.latest_announcement(prefix)) == _plain(text):
            return False
        view = prefix.rstrip("/") + "/"
        cookies = CookieJar()
        status, page = self._request("GET", view, cookies=cookies)
        if status != 403:
            self._expect("GET", view, status, page, (200,))
        match = re.search(r'name="_xsrf"\s+value="([^"]+)"', page)
        if status == 403 or match is None:
            raise HubError("hub.announcement.not_admin", url=self.hub_url + view.lstrip("/"))
        update = view + "update"
        form = urlencode({"announcement": text, "_xsrf": html.unescape(match.group(1))})
        status, body = self._request(
            "POST",
            update,
            data=form,
            cookies=cookies,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        self._expect("POST", update, status, body, (200,))
        return True

    def write_notice(self, server: UserServer, name: str, notice: str) -> str:
        """Write the notice file into ``server``; returns ``written`` or ``unchanged``.

        Raises HubError when the server is not running or the file there is the user's own.
        """
        path = f"{server.path}api/contents/{quote(name)}"
        status, body = self._request("GET", path + "?type=file&format=text&content=1")
        content = notice_file_text(notice)
        if status == 200:
            try:
                current = str(json.loads(body).get("content") or "")
            except (ValueError, AttributeError):
                # A page from the hub after a redirect, not the contents API: the server is not running.
                raise HubError(
                    "hub.server.not_running", user=server.user, server=server.server, status=status
                ) from None
            if not current.startswith(NOTICE_MARKER):
                raise HubError("hub.server.user_file", user=server.user, name=name)
            if current == content:
                return "unchanged"
        elif status != 404:
            # The proxy sends a stopped server's path to the hub, which returns 424 or 503 (or a page
            # after a redirect). A running server returns 404 for a missing file.
            raise HubError("hub.server.not_running", user=server.user, server=server.server, status=status)
        model = {"type": "file", "format": "text", "content": content}
        status, body = self._request(
            "PUT", path, data=json.dumps(model), headers={"Content-Type": "application/json"}
        )
        self._expect("PUT", path, status, body, (200, 201))
        return "written"


def notice_summary(results: Mapping[UserServer, str]) -> dict[str, list[str]]:
    """Group notice results per node as ``user/server: outcome`` lines, for the report."""
    per_node: dict[str, list[str]] = {}
    for server, outcome in sorted(results.items()):
        label = server.user + (f"/{server.server}" if server.server else "")
        per_node.setdefault(server.node, []).append(f"{label}: {outcome}")
    return per_node
