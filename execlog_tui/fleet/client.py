"""A small client of Prometheus's HTTP API (stdlib urllib, timeouts): instant queries and the alerts.

Every failure is a `PrometheusError` with a one-line message: unreachable, an HTTP error, Prometheus's own
`status: error`, or a body that is not the API's JSON. Never a traceback."""

from __future__ import annotations

import base64
import http.client
import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

from execlog_tui.core.sanitize import one_line

TIMEOUT_S = 5.0
MAX_BODY = 64 * 1024 * 1024  # a larger answer is not the API's (and would hold the screen's memory)


class PrometheusError(Exception):
    """A query that did not give a result; `kind` is unreachable, http, api or malformed."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(one_line(message))
        self.kind = kind


def parse_url(text: str) -> tuple[str, str | None]:
    """`--prometheus URL`: (the base URL without credentials, a Basic authorization header or None).
    ValueError for anything but an http(s) URL with a host."""
    parts = urllib.parse.urlsplit(text.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"expected an http:// or https:// URL such as http://localhost:9090, got {text!r}")
    if parts.query or parts.fragment:
        raise ValueError(f"expected the server's base URL, without ?query or #fragment, got {text!r}")
    try:
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError:
        raise ValueError(f"not a valid port in {text!r}") from None
    auth = None
    if parts.username is not None:
        raw = f"{urllib.parse.unquote(parts.username)}:{urllib.parse.unquote(parts.password or '')}"
        auth = "Basic " + base64.b64encode(raw.encode()).decode()
    netloc = parts.netloc.rsplit("@", 1)[-1]
    return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path.rstrip("/"), "", "")), auth


@dataclass(frozen=True, slots=True)
class Sample:
    labels: dict[str, str]
    value: float


class PrometheusClient:
    def __init__(self, url: str, timeout: float = TIMEOUT_S) -> None:
        self.url, self._auth = parse_url(url)
        self.timeout = timeout

    def _get(self, path: str, params: dict[str, str]) -> Any:
        url = f"{self.url}/api/v1/{path}" + ("?" + urllib.parse.urlencode(params) if params else "")
        req = urllib.request.Request(url, headers={"Accept": "application/json"})
        if self._auth is not None:
            req.add_header("Authorization", self._auth)
        where = f"Prometheus at {self.url}"
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as r:
                body = r.read(MAX_BODY + 1)
        except urllib.error.HTTPError as e:
            body = e.read(MAX_BODY + 1)
            detail = _api_error(body)
            raise PrometheusError(
                "http", f"{where} answered HTTP {e.code}" + (f": {detail}" if detail else "")
            ) from None
        except urllib.error.URLError as e:
            reason = e.reason.strerror if isinstance(e.reason, OSError) and e.reason.strerror else e.reason
            raise PrometheusError("unreachable", f"cannot reach {where}: {reason}") from None
        except TimeoutError:
            raise PrometheusError("unreachable", f"cannot reach {where}: no answer in {self.timeout:g} s") from None
        except OSError as e:
            raise PrometheusError("unreachable", f"cannot reach {where}: {e.strerror or e}") from None
        except http.client.HTTPException as e:
            raise PrometheusError("malformed", f"{where} did not answer in HTTP ({type(e).__name__})") from None
        if len(body) > MAX_BODY:
            raise PrometheusError("malformed", f"{where}: the answer is larger than {MAX_BODY >> 20} MB")
        try:
            doc = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            raise PrometheusError(
                "malformed", f"{where} did not answer with the API's JSON (is it Prometheus?)"
            ) from None
        if not isinstance(doc, dict) or "status" not in doc:
            raise PrometheusError("malformed", f"{where}: the answer has no status (is it Prometheus?)")
        if doc["status"] != "success":
            raise PrometheusError("api", f"{where}: {doc.get('errorType', 'error')}: {doc.get('error', '')}")
        return doc.get("data")

    def query(self, expr: str, at: float | None = None) -> list[Sample]:
        """An instant query's vector (at `at`, epoch seconds; now by default)."""
        params = {"query": expr}
        if at is not None:
            params["time"] = f"{at:.3f}"
        data = self._get("query", params)
        try:
            if data["resultType"] != "vector":
                raise PrometheusError("malformed", f"{expr}: expected a vector, got {data['resultType']}")
            return [
                Sample({str(k): str(v) for k, v in r["metric"].items()}, float(r["value"][1])) for r in data["result"]
            ]
        except (KeyError, TypeError, IndexError, ValueError, AttributeError):
            raise PrometheusError("malformed", f"Prometheus at {self.url}: a query's result is not a vector") from None

    def alerts(self) -> list[dict[str, Any]]:
        data = self._get("alerts", {})
        try:
            alerts = data["alerts"]
            if not isinstance(alerts, list) or not all(isinstance(a, dict) for a in alerts):
                raise TypeError
            return alerts
        except (KeyError, TypeError):
            raise PrometheusError("malformed", f"Prometheus at {self.url}: /api/v1/alerts holds no list") from None


def _api_error(body: bytes) -> str:
    try:
        doc = json.loads(body)
        return f"{doc.get('errorType', 'error')}: {doc.get('error', '')}" if isinstance(doc, dict) else ""
    except (ValueError, UnicodeDecodeError):
        return ""
