"""AWX REST API double: an in-memory HTTP server for the objects that playbooks/awx.yml manages.

This is a test double, not AWX. It serves the /api/v2/ endpoints that the awx.awx 24.6.1 modules
and its controller_api lookup call for organizations, projects (with an immediately successful
project update), inventories, inventory sources, credential types, credentials, execution
environments, job templates (with their credentials list), schedules and unified job templates.
It implements AWX's list conventions (count, next, previous, results; page and page_size; exact
field filters, ``__startswith`` and the ``or__`` filters of awx.awx's get_one), token login with
HTTP basic authentication, ``$encrypted$`` for secret credential inputs, cascading deletes of
schedules, and AWX's schedule rrule validation. It does not run jobs, sync projects or check
permissions beyond the single admin account.

Start it on a loopback port:

    python tests/doubles/awx_api.py --port 18052 --password "$AWX_PASSWORD"
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import json
import logging
import os
import secrets
import sys
import threading
from collections.abc import Mapping
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

# Run as a script, the repository root is not on sys.path; add it so the tests package imports.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.doubles.awx_api_rrule import rrule_errors, schedule_times

LOG = logging.getLogger("awx_api_double")
API = "/api/v2/"
AWX_VERSION = "24.6.1"
DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 200
ENCRYPTED = "$encrypted$"

# Managed credential types as AWX 24 ships them, reduced to the inputs LabShift sets.
CREDENTIAL_TYPES: list[dict[str, Any]] = [
    {
        "name": "Machine",
        "kind": "ssh",
        "namespace": "ssh",
        "fields": [
            ("username", False),
            ("password", True),
            ("ssh_key_data", True),
            ("ssh_public_key_data", False),
            ("ssh_key_unlock", True),
            ("become_method", False),
            ("become_username", False),
            ("become_password", True),
        ],
    },
    {
        "name": "Source Control",
        "kind": "scm",
        "namespace": "scm",
        "fields": [("username", False), ("password", True), ("ssh_key_data", True), ("ssh_key_unlock", True)],
    },
    {
        "name": "Vault",
        "kind": "vault",
        "namespace": "vault",
        "fields": [("vault_password", True), ("vault_id", False)],
    },
    {
        "name": "OpenShift or Kubernetes API Bearer Token",
        "kind": "kubernetes",
        "namespace": "kubernetes_bearer_token",
        "fields": [("host", False), ("bearer_token", True), ("verify_ssl", False), ("ssl_ca_cert", False)],
    },
]

# Fields each resource needs on create; AWX returns 400 with {field: ["This field is required."]}.
REQUIRED: dict[str, tuple[str, ...]] = {
    "organizations": ("name",),
    "projects": ("name", "organization"),
    "inventories": ("name", "organization"),
    "inventory_sources": ("name", "inventory", "source"),
    "credentials": ("name", "credential_type"),
    "execution_environments": ("name", "image"),
    "job_templates": ("name", "project", "playbook"),
    "schedules": ("name", "rrule", "unified_job_template"),
}

# Foreign keys checked on write: field name to the resource it points at.
FOREIGN_KEYS: dict[str, str] = {
    "organization": "organizations",
    "project": "projects",
    "inventory": "inventories",
    "source_project": "projects",
    "credential_type": "credential_types",
    "execution_environment": "execution_environments",
    "default_environment": "execution_environments",
}

UNIFIED_TEMPLATE_TYPES = {
    "projects": "project",
    "inventory_sources": "inventory_source",
    "job_templates": "job_template",
}
SINGULAR = {
    "organizations": "organization",
    "projects": "project",
    "inventories": "inventory",
    "inventory_sources": "inventory_source",
    "credential_types": "credential_type",
    "credentials": "credential",
    "execution_environments": "execution_environment",
    "job_templates": "job_template",
    "schedules": "schedule",
    "project_updates": "project_update",
}


class ApiError(Exception):
    """An HTTP error response with a JSON body, as AWX sends for bad requests."""

    def __init__(self, status: HTTPStatus, body: Mapping[str, Any]) -> None:
        super().__init__(status.phrase)
        self.status = status
        self.body = dict(body)


def now_text() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class AwxStore:
    """In-memory AWX objects, keyed by resource name and id, guarded by one lock."""

    def __init__(self, project_dir: Path | None = None) -> None:
        self.lock = threading.Lock()
        self.objects: dict[str, dict[int, dict[str, Any]]] = {name: {} for name in SINGULAR}
        self.next_id = 1
        self.tokens: dict[str, int] = {}
        self.project_dir = project_dir
        self.jt_credentials: dict[int, list[int]] = {}
        for spec in CREDENTIAL_TYPES:
            self._insert(
                "credential_types",
                {
                    "name": spec["name"],
                    "kind": spec["kind"],
                    "namespace": spec["namespace"],
                    "managed": True,
                    "inputs": {
                        "fields": [
                            {"id": name, "label": name, "secret": secret} for name, secret in spec["fields"]
                        ]
                    },
                },
            )

    def _insert(self, resource: str, fields: dict[str, Any]) -> dict[str, Any]:
        item_id = self.next_id
        self.next_id += 1
        stamp = now_text()
        item = {
            **fields,
            "id": item_id,
            "type": SINGULAR[resource],
            "url": f"{API}{resource}/{item_id}/",
            "created": stamp,
            "modified": stamp,
            "related": {},
            "summary_fields": {},
        }
        self.objects[resource][item_id] = item
        return item

    # Reading

    def get(self, resource: str, item_id: int) -> dict[str, Any]:
        item = self.objects.get(resource, {}).get(item_id)
        if item is None:
            raise ApiError(HTTPStatus.NOT_FOUND, {"detail": "Not found."})
        return item

    def unified_job_templates(self) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        for resource in UNIFIED_TEMPLATE_TYPES:
            items.extend(self.objects[resource].values())
        return sorted(items, key=lambda item: int(item["id"]))

    def list_items(self, resource: str) -> list[dict[str, Any]]:
        if resource == "unified_job_templates":
            return self.unified_job_templates()
        if resource not in self.objects:
            raise ApiError(HTTPStatus.NOT_FOUND, {"detail": "Not found."})
        return sorted(self.objects[resource].values(), key=lambda item: int(item["id"]))

    # Writing

    def _check_foreign_keys(self, fields: Mapping[str, Any]) -> None:
        errors: dict[str, list[str]] = {}
        for field, target in FOREIGN_KEYS.items():
            value = fields.get(field)
            if value in (None, ""):
                continue
            if not isinstance(value, int) or value not in self.objects[target]:
                errors[field] = [f'Invalid pk "{value}" - object does not exist.']
        if errors:
            raise ApiError(HTTPStatus.BAD_REQUEST, errors)

    def _check_unique_name(self, resource: str, fields: Mapping[str, Any], own_id: int | None) -> None:
        scope = {
            "inventory_sources": "inventory",
            "schedules": "unified_job_template",
            "projects": "organization",
            "inventories": "organization",
            "credentials": "organization",
            "job_templates": "organization",
        }.get(resource)
        for item in self.objects[resource].values():
            if item["id"] == own_id or item.get("name") != fields.get("name"):
                continue
            if scope is None or item.get(scope) == fields.get(scope):
                raise ApiError(
                    HTTPStatus.BAD_REQUEST,
                    {"__all__": [f"{SINGULAR[resource]} with this name already exists."]},
                )

    def _validate(self, resource: str, fields: dict[str, Any], own_id: int | None) -> None:
        self._check_foreign_keys(fields)
        self._check_unique_name(resource, fields, own_id)
        if resource == "credentials":
            self._validate_credential(fields)
        elif resource == "inventory_sources":
            if fields.get("source") == "scm" and not fields.get("source_project"):
                raise ApiError(
                    HTTPStatus.BAD_REQUEST, {"source_project": ["Project required for scm type sources."]}
                )
        elif resource == "job_templates":
            self._validate_job_template(fields)
        elif resource == "schedules":
            errors = rrule_errors(str(fields.get("rrule", "")))
            if errors:
                raise ApiError(HTTPStatus.BAD_REQUEST, {"rrule": errors})
            template = fields.get("unified_job_template")
            if not any(template in self.objects[kind] for kind in UNIFIED_TEMPLATE_TYPES):
                raise ApiError(
                    HTTPStatus.BAD_REQUEST,
                    {"unified_job_template": [f'Invalid pk "{template}" - object does not exist.']},
                )

    def _validate_credential(self, fields: Mapping[str, Any]) -> None:
        credential_type = self.objects["credential_types"][fields["credential_type"]]
        known = {entry["id"] for entry in credential_type["inputs"]["fields"]}
        inputs = fields.get("inputs") or {}
        if not isinstance(inputs, dict):
            raise ApiError(HTTPStatus.BAD_REQUEST, {"inputs": ["Must be an object."]})
        unknown = sorted(set(inputs) - known)
        if unknown:
            raise ApiError(
                HTTPStatus.BAD_REQUEST,
                {
                    "inputs": [
                        "Additional properties are not allowed "
                        f"({', '.join(map(repr, unknown))} were unexpected)"
                    ]
                },
            )

    def _validate_job_template(self, fields: Mapping[str, Any]) -> None:
        playbook = str(fields.get("playbook", ""))
        if self.project_dir is not None and not (self.project_dir / playbook).is_file():
            raise ApiError(
                HTTPStatus.BAD_REQUEST, {"playbook": [f'Playbook not found for project: "{playbook}"']}
            )
        extra_vars = fields.get("extra_vars")
        if isinstance(extra_vars, str) and extra_vars.strip():
            try:
                json.loads(extra_vars)
            except json.JSONDecodeError as error:
                raise ApiError(
                    HTTPStatus.BAD_REQUEST, {"extra_vars": [f"Cannot parse as JSON: {error}"]}
                ) from error

    def _stored_fields(self, resource: str, body: Mapping[str, Any]) -> dict[str, Any]:
        return {key: value for key, value in body.items() if key not in ("id", "type", "url", "related")}

    def _decorate(self, resource: str, item: dict[str, Any]) -> None:
        """Fill related links and summary fields that awx.awx reads after a write."""
        base = item["url"]
        if resource in UNIFIED_TEMPLATE_TYPES:
            item["related"]["schedules"] = f"{base}schedules/"
        if resource == "projects":
            item["related"]["update"] = f"{base}update/"
        if resource == "job_templates":
            item["related"]["credentials"] = f"{base}credentials/"
            item["summary_fields"]["credentials"] = [
                {"id": cred_id, "name": self.objects["credentials"][cred_id]["name"]}
                for cred_id in self.jt_credentials.get(item["id"], [])
                if cred_id in self.objects["credentials"]
            ]
        if resource == "schedules":
            times = schedule_times(item["rrule"])
            item.update(
                dtstart=times.dtstart, next_run=times.next_run, timezone=times.timezone, until=times.until
            )
            item.setdefault("enabled", True)
            template = next(
                (
                    self.objects[kind][item["unified_job_template"]]
                    for kind in UNIFIED_TEMPLATE_TYPES
                    if item["unified_job_template"] in self.objects[kind]
                ),
                None,
            )
            if template is not None:
                item["summary_fields"]["unified_job_template"] = {
                    "id": template["id"],
                    "name": template["name"],
                    "unified_job_type": template["type"],
                }

    def create(self, resource: str, body: Mapping[str, Any]) -> dict[str, Any]:
        if resource not in REQUIRED:
            raise ApiError(HTTPStatus.METHOD_NOT_ALLOWED, {"detail": 'Method "POST" not allowed.'})
        missing = {
            field: ["This field is required."]
            for field in REQUIRED[resource]
            if body.get(field) in (None, "")
        }
        if missing:
            raise ApiError(HTTPStatus.BAD_REQUEST, missing)
        fields = self._stored_fields(resource, body)
        self._validate(resource, fields, None)
        if resource == "credentials":
            fields["inputs"] = dict(fields.get("inputs") or {})
        item = self._insert(resource, fields)
        if resource == "projects" and fields.get("scm_type"):
            update = self._insert(
                "project_updates", {"name": fields["name"], "status": "successful", "project": item["id"]}
            )
            item["summary_fields"]["current_update"] = {"id": update["id"], "status": "successful"}
            item.setdefault("scm_revision", "0" * 40)
        self._decorate(resource, item)
        return item

    def update(self, resource: str, item_id: int, body: Mapping[str, Any]) -> dict[str, Any]:
        item = self.get(resource, item_id)
        merged = {**item, **self._stored_fields(resource, body)}
        self._validate(resource, merged, item_id)
        item.update(self._stored_fields(resource, body))
        item["modified"] = now_text()
        self._decorate(resource, item)
        return item

    def delete(self, resource: str, item_id: int) -> None:
        self.get(resource, item_id)
        del self.objects[resource][item_id]
        if resource in UNIFIED_TEMPLATE_TYPES:
            for schedule_id in [
                sid
                for sid, schedule in self.objects["schedules"].items()
                if schedule["unified_job_template"] == item_id
            ]:
                del self.objects["schedules"][schedule_id]
            self.jt_credentials.pop(item_id, None)

    def associate(self, template_id: int, body: Mapping[str, Any]) -> None:
        self.get("job_templates", template_id)
        credential_id = body.get("id")
        if not isinstance(credential_id, int) or credential_id not in self.objects["credentials"]:
            raise ApiError(HTTPStatus.BAD_REQUEST, {"msg": f"Credential {credential_id!r} does not exist."})
        current = self.jt_credentials.setdefault(template_id, [])
        if body.get("disassociate"):
            if credential_id in current:
                current.remove(credential_id)
        elif credential_id not in current:
            kind = self.objects["credential_types"][
                self.objects["credentials"][credential_id]["credential_type"]
            ]
            for other in current:
                other_type = self.objects["credentials"][other]["credential_type"]
                if other_type == kind["id"] and kind["kind"] != "vault":
                    raise ApiError(
                        HTTPStatus.BAD_REQUEST,
                        {"error": f"Cannot assign multiple {kind['name']} credentials."},
                    )
            current.append(credential_id)
        self._decorate("job_templates", self.objects["job_templates"][template_id])


def render(item: Mapping[str, Any]) -> dict[str, Any]:
    """Return the API view of an item: secret credential inputs replaced by $encrypted$."""
    view: dict[str, Any] = json.loads(json.dumps(item))
    if view.get("type") == "credential":
        view["inputs"] = {
            key: (ENCRYPTED if _is_secret(view, key) and value not in ("", None) else value)
            for key, value in view.get("inputs", {}).items()
        }
    return view


_SECRET_FIELDS = {name for spec in CREDENTIAL_TYPES for name, secret in spec["fields"] if secret}


def _is_secret(credential: Mapping[str, Any], field: str) -> bool:
    return field in _SECRET_FIELDS


def matches(item: Mapping[str, Any], filters: list[tuple[str, str]]) -> bool:
    """Apply AWX list filters: exact fields, ``__startswith``, and ``or__`` alternatives."""
    alternatives = [(key[4:], value) for key, value in filters if key.startswith("or__")]
    required = [(key, value) for key, value in filters if not key.startswith("or__")]
    for key, value in required:
        if not _field_matches(item, key, value):
            return False
    return not alternatives or any(_field_matches(item, key, value) for key, value in alternatives)


def _field_matches(item: Mapping[str, Any], key: str, value: str) -> bool:
    if key.endswith("__startswith"):
        return str(item.get(key[: -len("__startswith")], "")).startswith(value)
    actual = item.get(key)
    if isinstance(actual, bool):
        return str(actual).lower() == value.lower()
    return str(actual) == value


class AwxHandler(BaseHTTPRequestHandler):
    """Routes /api/v2/ requests to the store; one handler instance per request."""

    server: AwxServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        LOG.info("%s %s", self.address_string(), format % args)

    # Response helpers

    def _send(self, status: HTTPStatus, body: Any = None) -> None:
        payload = b"" if body is None else json.dumps(body).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("X-API-Product-Name", "AWX")
        self.send_header("X-API-Product-Version", AWX_VERSION)
        self.end_headers()
        self.wfile.write(payload)

    def _body(self) -> dict[str, Any]:
        length = int(self.headers.get("Content-Length") or 0)
        if not length:
            return {}
        try:
            body = json.loads(self.rfile.read(length))
        except json.JSONDecodeError as error:
            raise ApiError(HTTPStatus.BAD_REQUEST, {"detail": f"JSON parse error - {error}"}) from error
        if not isinstance(body, dict):
            raise ApiError(HTTPStatus.BAD_REQUEST, {"detail": "Expected a JSON object."})
        return body

    def _basic_user_ok(self) -> bool:
        header = self.headers.get("Authorization", "")
        if not header.startswith("Basic "):
            return False
        try:
            user, _, password = base64.b64decode(header[6:]).decode("utf-8").partition(":")
        except ValueError:
            return False
        return secrets.compare_digest(user, self.server.username) and secrets.compare_digest(
            password, self.server.password
        )

    def _authenticated(self) -> bool:
        header = self.headers.get("Authorization", "")
        if header.startswith("Bearer "):
            return header[7:] in self.server.store.tokens
        return self._basic_user_ok()

    # Dispatch

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PATCH(self) -> None:
        self._dispatch("PATCH")

    def do_PUT(self) -> None:
        self._dispatch("PATCH")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def _dispatch(self, method: str) -> None:
        split = urlsplit(self.path)
        path = split.path if split.path.endswith("/") else split.path + "/"
        query = parse_qsl(split.query, keep_blank_values=True)
        try:
            body = self._body() if method in ("POST", "PATCH") else {}
            if not path.startswith(API):
                raise ApiError(HTTPStatus.NOT_FOUND, {"detail": "Not found."})
            parts = [part for part in path[len(API) :].split("/") if part]
            if parts == ["ping"]:
                self._send(HTTPStatus.OK, {"version": AWX_VERSION, "active_node": "awx-double", "ha": False})
                return
            if parts and parts[0] == "tokens":
                self._tokens(method, parts)
                return
            if not self._authenticated():
                raise ApiError(
                    HTTPStatus.UNAUTHORIZED, {"detail": "Authentication credentials were not provided."}
                )
            if parts == ["me"]:
                self._send(
                    HTTPStatus.OK,
                    self._page([{"id": 1, "type": "user", "username": self.server.username}], [], path),
                )
                return
            with self.server.store.lock:
                status, response = self._resource(method, parts, query, body, path)
            self._send(status, response)
        except ApiError as error:
            if error.status >= HTTPStatus.BAD_REQUEST:
                LOG.warning("%s %s rejected with %d: %s", method, self.path, error.status, error.body)
            self._send(error.status, error.body)

    def _tokens(self, method: str, parts: list[str]) -> None:
        store = self.server.store
        if not self._basic_user_ok():
            raise ApiError(HTTPStatus.UNAUTHORIZED, {"detail": "Invalid username/password."})
        if method == "POST" and len(parts) == 1:
            token = secrets.token_hex(16)
            token_id = len(store.tokens) + 1000
            store.tokens[token] = token_id
            self._send(HTTPStatus.CREATED, {"id": token_id, "token": token, "type": "o_auth2_access_token"})
            return
        if method == "DELETE" and len(parts) == 2:
            for token, token_id in list(store.tokens.items()):
                if str(token_id) == parts[1]:
                    del store.tokens[token]
            self._send(HTTPStatus.NO_CONTENT)
            return
        raise ApiError(HTTPStatus.METHOD_NOT_ALLOWED, {"detail": f'Method "{method}" not allowed.'})

    def _page(self, items: list[dict[str, Any]], query: list[tuple[str, str]], path: str) -> dict[str, Any]:
        params = dict(query)
        try:
            page = max(1, int(params.get("page", "1")))
            size = min(MAX_PAGE_SIZE, max(1, int(params.get("page_size", str(DEFAULT_PAGE_SIZE)))))
        except ValueError as error:
            raise ApiError(HTTPStatus.NOT_FOUND, {"detail": "Invalid page."}) from error
        start = (page - 1) * size
        kept = [(key, value) for key, value in query if key not in ("page", "page_size")]

        def link(number: int) -> str:
            return f"{path}?{urlencode([*kept, ('page', str(number)), ('page_size', str(size))])}"

        return {
            "count": len(items),
            "next": link(page + 1) if start + size < len(items) else None,
            "previous": link(page - 1) if page > 1 else None,
            "results": [render(item) for item in items[start : start + size]],
        }

    def _resource(
        self, method: str, parts: list[str], query: list[tuple[str, str]], body: dict[str, Any], path: str
    ) -> tuple[HTTPStatus, Any]:
        store = self.server.store
        if not parts:
            raise ApiError(HTTPStatus.NOT_FOUND, {"detail": "Not found."})
        resource = parts[0]
        filters = [(key, value) for key, value in query if key not in ("page", "page_size", "order_by")]
        if len(parts) == 1:
            if method == "GET":
                items = [item for item in store.list_items(resource) if matches(item, filters)]
                return HTTPStatus.OK, self._page(items, query, path)
            if method == "POST":
                return HTTPStatus.CREATED, render(store.create(resource, body))
            raise ApiError(HTTPStatus.METHOD_NOT_ALLOWED, {"detail": f'Method "{method}" not allowed.'})

        try:
            item_id = int(parts[1])
        except ValueError as error:
            raise ApiError(HTTPStatus.NOT_FOUND, {"detail": "Not found."}) from error
        if len(parts) == 2:
            if method == "GET":
                return HTTPStatus.OK, render(store.get(resource, item_id))
            if method == "PATCH":
                return HTTPStatus.OK, render(store.update(resource, item_id, body))
            if method == "DELETE":
                store.delete(resource, item_id)
                return HTTPStatus.NO_CONTENT, None
        sub = parts[2]
        if resource == "job_templates" and sub == "credentials":
            if method == "GET":
                store.get(resource, item_id)
                items = [store.objects["credentials"][cid] for cid in store.jt_credentials.get(item_id, [])]
                return HTTPStatus.OK, self._page(items, query, path)
            if method == "POST":
                store.associate(item_id, body)
                return HTTPStatus.NO_CONTENT, None
        if resource in UNIFIED_TEMPLATE_TYPES and sub == "schedules" and method == "GET":
            store.get(resource, item_id)
            items = [
                item
                for item in store.list_items("schedules")
                if item["unified_job_template"] == item_id and matches(item, filters)
            ]
            return HTTPStatus.OK, self._page(items, query, path)
        raise ApiError(HTTPStatus.NOT_FOUND, {"detail": "Not found."})


class AwxServer(ThreadingHTTPServer):
    """The HTTP server that owns one AwxStore and the admin account."""

    daemon_threads = True

    def __init__(
        self, address: tuple[str, int], username: str, password: str, project_dir: Path | None
    ) -> None:
        super().__init__(address, AwxHandler)
        self.username = username
        self.password = password
        self.store = AwxStore(project_dir)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="AWX REST API double (a test double, not AWX) on a loopback port."
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on; keep it on loopback")
    parser.add_argument("--port", type=int, default=18052, help="TCP port to listen on (default 18052)")
    parser.add_argument("--username", default="admin", help="admin user name (default admin)")
    parser.add_argument(
        "--password",
        default=os.environ.get("AWX_DOUBLE_PASSWORD"),
        help="admin password; defaults to the AWX_DOUBLE_PASSWORD environment variable",
    )
    parser.add_argument(
        "--project-dir",
        type=Path,
        help="checkout that job template playbooks must exist in, like AWX checks a synced project",
    )
    args = parser.parse_args(argv)
    if not args.password:
        parser.error("set --password or AWX_DOUBLE_PASSWORD")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    server = AwxServer((args.host, args.port), args.username, args.password, args.project_dir)
    LOG.info("AWX API double listening on http://%s:%d%s", args.host, server.server_address[1], API)
    print(f"ready http://{args.host}:{server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        LOG.info("AWX API double stopping")
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
