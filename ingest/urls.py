"""URL canonicalisation: one spelling per page, so the store can recognise exact duplicates.

The same article reaches us as ``https://WWW.Example.com:443/a?utm_source=rss#top`` from one feed
and ``https://www.example.com/a`` from another. :func:`canonicalise_url` maps both to the same
string. It follows RFC 3986 section 6 (syntax-based normalisation) plus the one scheme-based rule
that matters for the web (an empty http(s) path is ``/``), then removes tracking parameters.

The URL is split with the regular expression of RFC 3986 appendix B rather than
:func:`urllib.parse.urlsplit`, because the regex matches every string: the canonicaliser runs on
links chosen by strangers and must never raise (``urlsplit`` raises on ``http://[bad/``).
"""

from __future__ import annotations

import contextlib
import re
from typing import Final

import idna

__all__ = ["TRACKING_PARAMS", "TRACKING_PREFIXES", "canonicalise_url", "is_http_url"]

# Query parameters that identify the click, campaign or referrer, never the page. Compared
# case-insensitively. `ref` and `spm` are included on purpose: `ref` is a referrer tag on most
# news sites, and `spm`/`scm` are Alibaba's own click-tracking parameters, common on
# alibabacloud.com and alizila.com links, which matter for this project's default topic.
TRACKING_PARAMS: Final[frozenset[str]] = frozenset(
    {
        "fbclid",  # Facebook
        "gclid",  # Google Ads
        "gclsrc",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",  # Microsoft Ads
        "yclid",  # Yandex
        "twclid",  # X/Twitter
        "ttclid",  # TikTok
        "igshid",  # Instagram
        "li_fat_id",  # LinkedIn
        "mc_cid",  # Mailchimp
        "mc_eid",
        "_hsenc",  # HubSpot
        "_hsmi",
        "mkt_tok",  # Marketo
        "ocid",  # MSN / Microsoft Start
        "cmpid",  # campaign id, many publishers
        "cmp",
        "icid",
        "ncid",  # Yahoo / Engadget
        "s_cid",  # Adobe
        "smid",  # New York Times share id
        "smtyp",
        "ref",
        "ref_src",
        "ref_url",
        "referrer",
        "spm",  # Alibaba
        "scm",
        "xtor",  # AT Internet (Le Monde, ...)
        "at_medium",
        "at_campaign",
        "guccounter",  # Yahoo consent redirect
        "guce_referrer",
        "guce_referrer_sig",
        "__twitter_impression",
        "sr_share",
        "share",
        "taid",
        "trk",
        "cid",
    }
)
# Whole families: every parameter whose name starts with one of these.
TRACKING_PREFIXES: Final[tuple[str, ...]] = ("utm_", "pk_", "mtm_", "hmsr", "hmpl", "hmcu")

_DEFAULT_PORTS: Final[dict[str, str]] = {"http": "80", "https": "443"}

# RFC 3986 appendix B: matches any string at all.
_URI_RE: Final = re.compile(
    r"^(?:([^:/?#]+):)?(?://([^/?#]*))?([^?#]*)(?:\?([^#]*))?(?:#(.*))?$", re.S
)
_SCHEME_RE: Final = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*$")

_UNRESERVED: Final = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_SUB_DELIMS: Final = frozenset("!$&'()*+,;=")
_PATH_SAFE: Final = _UNRESERVED | _SUB_DELIMS | frozenset(":@/")
# Inside one query key or value `&` separates pairs and `=` separates key from value, so both
# stay encoded when they were encoded; `=` is allowed in values (base64 tokens).
_QUERY_KEY_SAFE: Final = (_UNRESERVED | _SUB_DELIMS | frozenset(":@/?")) - frozenset("&=")
_QUERY_VALUE_SAFE: Final = _QUERY_KEY_SAFE | frozenset("=")
_USERINFO_SAFE: Final = _UNRESERVED | _SUB_DELIMS | frozenset(":")
_HOST_SAFE: Final = _USERINFO_SAFE | frozenset("[]")
_HEX: Final = frozenset("0123456789abcdefABCDEF")

# WHATWG URL parsing strips C0 controls and space at both ends; feeds often carry them.
_STRIP: Final = "".join(chr(c) for c in range(0x21))


def _normalise_percent(text: str, safe: frozenset[str]) -> str:
    """Decode escapes of unreserved characters, upper-case the others, escape the unsafe."""
    out: list[str] = []
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if ch == "%" and i + 2 < n and text[i + 1] in _HEX and text[i + 2] in _HEX:
            decoded = chr(int(text[i + 1 : i + 3], 16))
            out.append(decoded if decoded in _UNRESERVED else "%" + text[i + 1 : i + 3].upper())
            i += 3
            continue
        if ch in safe:
            out.append(ch)
        else:
            # Lone surrogates cannot be UTF-8; surrogatepass keeps this total (never raises).
            out.extend(f"%{b:02X}" for b in ch.encode("utf-8", "surrogatepass"))
        i += 1
    return "".join(out)


def _remove_dot_segments(path: str) -> str:
    """RFC 3986 section 5.2.4, on an already split path."""
    if "." not in path:
        return path
    output: list[str] = []
    segments = path.split("/")
    absolute = path.startswith("/")
    if absolute:
        segments = segments[1:]
    for index, segment in enumerate(segments):
        last = index == len(segments) - 1
        if segment == ".":
            if last:
                output.append("")
        elif segment == "..":
            if output:
                output.pop()
            if last:
                output.append("")
        else:
            output.append(segment)
    result = "/".join(output)
    return "/" + result if absolute else result


def _normalise_host(host: str) -> str:
    host = host.lower()
    if not host.isascii():
        # An invalid internationalised name stays as it is and is percent-encoded below.
        with contextlib.suppress(idna.IDNAError, UnicodeError, ValueError):
            host = idna.encode(host, uts46=True).decode("ascii")
    # Decode before lower-casing so "%41" and "a" meet; escape what a host may not contain
    # (spaces, controls), which also keeps the result free of characters strip() would eat.
    host = _normalise_percent(host, _HOST_SAFE).lower()
    if host.strip(".") and ":" not in host:
        # A fully qualified name's trailing dot names the same host. (With a colon this is no
        # name at all, and stripping could turn "x:." into a host:port pair on the next pass.)
        host = host.rstrip(".")
    return host


def _normalise_authority(authority: str, scheme: str) -> str:
    userinfo, at, hostport = authority.rpartition("@")
    if hostport.startswith("["):
        # IPv6 literal: the port, if any, follows the closing bracket.
        end = hostport.find("]")
        host, rest = (hostport, "") if end == -1 else (hostport[: end + 1], hostport[end + 1 :])
        port = rest[1:] if rest.startswith(":") else None
        if port is None and rest:
            host, port = hostport, None
        host = _normalise_percent(host, _HOST_SAFE).lower()
    else:
        host, colon, port_text = hostport.rpartition(":")
        port_ok = port_text == "" or (port_text.isascii() and port_text.isdigit())
        # A colon left in the host means this is no host:port pair; keep it whole.
        if not colon or ":" in host or not port_ok:
            host, port = hostport, None
        else:
            port = port_text
        host = _normalise_host(host)
    if port is not None:
        port = port.lstrip("0") or ("0" if port else "")
        if port in ("", _DEFAULT_PORTS.get(scheme)):
            port = None
    userinfo = _normalise_percent(userinfo, _USERINFO_SAFE)
    return f"{userinfo}{at}{host}" + (f":{port}" if port is not None else "")


def _is_tracking(key: str) -> bool:
    lowered = key.lower()
    return lowered in TRACKING_PARAMS or lowered.startswith(TRACKING_PREFIXES)


def _normalise_query(query: str) -> str:
    kept: list[tuple[str, str | None]] = []
    for pair in query.split("&"):
        if not pair:
            continue
        key, eq, value = pair.partition("=")
        norm_key = _normalise_percent(key, _QUERY_KEY_SAFE)
        # Tracking names are all unreserved characters, which normalisation has decoded.
        if _is_tracking(norm_key):
            continue
        kept.append((norm_key, _normalise_percent(value, _QUERY_VALUE_SAFE) if eq else None))
    # Stable sort on the key only: repeated keys keep their order, which some sites rely on.
    kept.sort(key=lambda item: item[0])
    return "&".join(key if value is None else f"{key}={value}" for key, value in kept)


def canonicalise_url(url: str) -> str:
    """Return the canonical spelling of ``url``; total: any string in, a string out.

    Lower-cases scheme and host, encodes internationalised hosts with IDNA (UTS 46), drops the
    default port, the fragment and tracking parameters (:data:`TRACKING_PARAMS`,
    :data:`TRACKING_PREFIXES`), sorts the remaining query parameters by name, normalises
    percent-encoding and dot segments, and spells an empty http(s) path as ``/``. Idempotent.
    """
    text = url.strip(_STRIP)
    match = _URI_RE.match(text)
    if match is None:  # pragma: no cover - the appendix B regex matches every string
        return text
    scheme_raw, authority, path, query, _fragment = match.groups()
    scheme = None
    if scheme_raw is not None:
        scheme = scheme_raw.lower() if _SCHEME_RE.match(scheme_raw) else scheme_raw
    parts: list[str] = []
    if scheme is not None:
        parts.append(f"{scheme}:")
    if authority is not None:
        parts.append("//" + _normalise_authority(authority, scheme or ""))
    path = _normalise_percent(path, _PATH_SAFE)
    if authority is not None:
        # Only under an authority: without one, removing dots from "/.//x" would yield "//x",
        # which the next parse reads as a host (RFC 3986 section 5.3).
        path = _remove_dot_segments(path)
        if not path and scheme in _DEFAULT_PORTS:
            path = "/"
    parts.append(path)
    if query is not None:
        normalised_query = _normalise_query(query)
        if normalised_query:
            parts.append("?" + normalised_query)
    return "".join(parts)


def is_http_url(url: str) -> bool:
    """True when ``url`` is an absolute http or https URL with a host; never raises."""
    # Judge the canonical form, so percent-escapes and dots in the host count as they will
    # when the URL is fetched.
    match = _URI_RE.match(canonicalise_url(url))
    if match is None:  # pragma: no cover
        return False
    scheme, authority = match.group(1), match.group(2)
    if scheme is None or scheme.lower() not in _DEFAULT_PORTS or not authority:
        return False
    hostport = authority.rpartition("@")[2]
    if hostport.startswith("["):
        host = hostport[1 : hostport.find("]")] if "]" in hostport else ""
    else:
        host = hostport.partition(":")[0]
    return bool(host.strip("."))


def split_userinfo(url: str) -> tuple[str, str | None]:
    """``url`` without its ``user:password@`` part, and that part (None when there is none).

    Credentials in a feed URL are kept apart from the URL that is stored, logged and shown;
    :func:`with_userinfo` puts them back for the request. A URL that does not parse is returned
    as it is.
    """
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url, None
    end = len(rest)
    for stop in "/?#":
        at = rest.find(stop)
        if at != -1:
            end = min(end, at)
    authority = rest[:end]
    userinfo, at_sign, host = authority.rpartition("@")
    if not at_sign:
        return url, None
    return f"{scheme}://{host}{rest[end:]}", userinfo or None


def with_userinfo(url: str, userinfo: str | None) -> str:
    """``url`` with ``userinfo`` (``user:password``) put back in front of its host."""
    if not userinfo:
        return url
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    return f"{scheme}://{userinfo}@{rest}"


def url_host(url: str) -> str:
    """The lowercased host of ``url`` ('' when it has none or does not parse)."""
    from urllib.parse import urlsplit

    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


def database_url_problem(url: str) -> str | None:
    """Why ``url`` cannot name a PostgreSQL database (``postgresql://user@host:port/db``), or
    None when it can. The message never repeats the URL: it may carry a password."""
    scheme, sep, rest = url.partition("://")
    if not sep or scheme.lower() not in ("postgresql", "postgres"):
        shown = f"{scheme}://" if sep else "no scheme"
        return f"expected a postgresql:// URL, got {shown}"
    if not rest.strip() or any(c.isspace() for c in url):
        return "expected a postgresql:// URL naming a server and a database"
    return None
