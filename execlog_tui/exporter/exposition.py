"""The exposition of the collector's families, byte for byte what prometheus_client's encoders write.

prometheus_client's encoders escape every metric and label name character by character on every sample
(the OpenMetrics one through a StringIO per name) and format every float anew: on a scrape of 100
components (about 2,200 samples, most of them histogram buckets) that was 22 ms as Prometheus text and
46 ms as OpenMetrics. The names are a handful, so here each escaped name is worked out once, by
prometheus_client's own escaping functions, and kept; a label value is escaped as they escape it (three
replacements, every scheme); a float is formatted by their `floatToGoString`, once per distinct value of
a scrape. The rest follows their two `generate_latest` line for line, so the output is the same bytes
(tests/unit/exporter/test_exposition.py compares them over every Accept header the negotiation knows).

The format and escaping scheme come from prometheus_client's own `choose_encoder`: the content type it
returns is the one served. Anything this renderer does not write itself (a sample with a timestamp, an
exemplar or a native histogram, an encoder it does not know) goes to prometheus_client's encoder.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import Any

from prometheus_client import exposition as text_format
from prometheus_client.metrics_core import Metric
from prometheus_client.openmetrics import exposition as om_format
from prometheus_client.utils import floatToGoString
from prometheus_client.validation import _is_valid_legacy_metric_name

Encoder = Callable[[Any], bytes]


class _Fallback(Exception):
    """A family holds what this renderer does not write: prometheus_client's encoder writes it all."""


def negotiate(accept: str | None) -> tuple[Encoder, str, str | None, str]:
    """prometheus_client's negotiation: its encoder, its content type, and the format this renderer
    writes it in ("text", "openmetrics", or None when it leaves it to the encoder) with the escaping."""
    encoder, content_type = text_format.choose_encoder(accept or "")
    func = getattr(encoder, "func", encoder)
    keywords: dict[str, Any] = getattr(encoder, "keywords", {})
    escaping = str(keywords.get("escaping", om_format.UNDERSCORES))
    kind: str | None = None
    if func is text_format.generate_latest:
        kind = "text"
    elif func is om_format.generate_latest:
        kind = "openmetrics"
    return encoder, content_type, kind, escaping


def _cached_value(v: float, cache: dict[float, str]) -> str:
    """floatToGoString(v), once per distinct value. Equal numbers format alike, but for zero's sign
    (0.0 == -0.0 as keys): zero is formatted every time."""
    if not v:
        return str(floatToGoString(v))
    got = cache.get(v)
    if got is None:
        got = cache[v] = str(floatToGoString(v))
    return got


def _label_value(v: str) -> str:
    # Both encoders: label values always support UTF-8 (`_escape(v, ALLOWUTF8, ...)`).
    return v.replace("\\", r"\\").replace("\n", r"\n").replace('"', r"\"")


@lru_cache(maxsize=1024)
def _metric_name(name: str, escaping: str) -> str:
    return om_format.escape_metric_name(name, escaping)


@lru_cache(maxsize=1024)
def _label_name(name: str, escaping: str) -> str:
    return om_format.escape_label_name(name, escaping)


@lru_cache(maxsize=1024)
def _om_sample_name(name: str, escaping: str) -> str:
    return om_format._escape(name, escaping, om_format._is_legacy_labelname_rune)


@lru_cache(maxsize=1024)
def _legacy(name: str) -> bool:
    return bool(_is_valid_legacy_metric_name(name))


def _labels(labels: dict[str, str], escaping: str, cache: dict[tuple[str, str], str]) -> str:
    """`k="v",...` in sorted key order, as both encoders join them."""
    parts = []
    for k, v in sorted(labels.items()):
        got = cache.get((k, v))
        if got is None:
            got = cache[(k, v)] = f'{_label_name(k, escaping)}="{_label_value(v)}"'
        parts.append(got)
    return ",".join(parts)


def _check(metric: Metric) -> None:
    for s in metric.samples:
        if s.timestamp is not None or s.exemplar is not None or s.native_histogram is not None:
            raise _Fallback


def render_text(families: Iterable[Metric], escaping: str = om_format.UNDERSCORES) -> bytes:
    """prometheus_client.exposition.generate_latest(registry, escaping) of these families."""
    out: list[str] = []
    values: dict[float, str] = {}
    labels: dict[tuple[str, str], str] = {}
    utf8 = escaping == om_format.ALLOWUTF8
    for metric in families:
        _check(metric)
        mname = metric.name
        mtype = metric.type
        if mtype == "counter":
            mname = mname + "_total"
        elif mtype == "info":
            mname = mname + "_info"
            mtype = "gauge"
        elif mtype == "stateset":
            mtype = "gauge"
        elif mtype == "gaugehistogram":
            mtype = "histogram"
        elif mtype == "unknown":
            mtype = "untyped"
        doc = metric.documentation.replace("\\", r"\\").replace("\n", r"\n")
        out.append(f"# HELP {_metric_name(mname, escaping)} {doc}\n")
        out.append(f"# TYPE {_metric_name(mname, escaping)} {mtype}\n")
        deferred: dict[str, list[str]] = {}
        specials = {metric.name + suffix: suffix for suffix in ("_created", "_gsum", "_gcount")}
        for s in metric.samples:
            v = _cached_value(s.value, values)
            labelstr = _labels(s.labels, escaping, labels) if s.labels else ""
            if not utf8 or _legacy(s.name):
                if labelstr:
                    labelstr = "{" + labelstr + "}"
                line = f"{_metric_name(s.name, escaping)}{labelstr} {v}\n"
            else:
                comma = "," if labelstr else ""
                line = f"{{{_metric_name(s.name, escaping)}{comma}{labelstr}}} {v}\n"
            suffix = specials.get(s.name)
            if suffix is None:
                out.append(line)
            else:
                deferred.setdefault(suffix, []).append(line)
        for suffix, lines in sorted(deferred.items()):
            out.append(f"# HELP {_metric_name(metric.name + suffix, escaping)} {doc}\n")
            out.append(f"# TYPE {_metric_name(metric.name + suffix, escaping)} gauge\n")
            out.extend(lines)
    return "".join(out).encode("utf-8")


def render_openmetrics(families: Iterable[Metric], escaping: str = om_format.UNDERSCORES) -> bytes:
    """prometheus_client.openmetrics.exposition.generate_latest(registry, escaping, version) of these
    families (the version only decides whether native histograms are written: never here)."""
    out: list[str] = []
    values: dict[float, str] = {}
    labels: dict[tuple[str, str], str] = {}
    utf8 = escaping == om_format.ALLOWUTF8
    for metric in families:
        _check(metric)
        mname = _metric_name(metric.name, escaping)
        doc = _label_value(metric.documentation)
        out.append(f"# HELP {mname} {doc}\n")
        out.append(f"# TYPE {mname} {metric.type}\n")
        if metric.unit:
            out.append(f"# UNIT {mname} {metric.unit}\n")
        for s in metric.samples:
            if utf8 and not _legacy(s.name):
                labelstr = _metric_name(s.name, escaping)
                if s.labels:
                    labelstr += ","
            else:
                labelstr = ""
            if s.labels:
                labelstr += _labels(s.labels, escaping, labels)
            if labelstr:
                labelstr = "{" + labelstr + "}"
            v = "" if s.value is None else _cached_value(s.value, values)
            if not utf8 or _legacy(s.name):
                out.append(f"{_om_sample_name(s.name, escaping)}{labelstr} {v}\n")
            else:
                out.append(f"{labelstr} {v}\n")
    out.append("# EOF\n")
    return "".join(out).encode("utf-8")


def render_families(
    families: Callable[[], Iterable[Metric]], accept: str | None, registry: Callable[[], Any]
) -> tuple[bytes, str]:
    """The exposition the Accept header asks for, and its content type, as prometheus_client negotiates
    them. `families` yields the collector's families; `registry` builds a registry of the same collector
    for prometheus_client's encoder when this renderer leaves the work to it."""
    encoder, content_type, kind, escaping = negotiate(accept)
    try:
        if kind == "text":
            return render_text(families(), escaping), content_type
        if kind == "openmetrics":
            return render_openmetrics(families(), escaping), content_type
    except _Fallback:
        pass
    return encoder(registry()), content_type
