"""The SSRF policy: which peer addresses the fetcher may talk to (issue 6).

Feed items name links that strangers choose, and redirects are followed, so without a policy
the daemon could be made to read ``http://169.254.169.254/`` (cloud metadata), a router's admin
page or a database's HTTP port inside the network it runs in. The fetcher asks
:func:`refusal_reason` about the address each connection is *actually* connected to (after DNS,
on every redirect hop; see ``_GuardedBackend`` in ``client.py``), so a name that resolves to a
public address when checked and a private one when connected (DNS rebinding) gains nothing.

Refused unless inside ``[http] allow_networks``: unspecified, loopback, link-local, multicast,
private/special-purpose, reserved, shared (CGNAT) and anything else not globally routable, for
IPv4 and IPv6; IPv6 forms that carry an IPv4 address (IPv4-mapped ``::ffff:a.b.c.d``,
IPv4-compatible ``::a.b.c.d``, IPv4-translated ``::ffff:0:a.b.c.d``, 6to4 ``2002:AABB:CCDD::``,
NAT64 ``64:ff9b::a.b.c.d``) are judged by the IPv4 address they carry, because that is where
the packets end up on a dual-stack host or through a translator.

Non-HTTP schemes never reach this point: ``Fetcher._request`` refuses them on the first URL and
on every redirect target before connecting (``FailureKind.BLOCKED``).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from ingest.fetch.client import PeerCheck
from ingest.fetch.settings import HttpSettings, IPNetwork

__all__ = [
    "IPAddress",
    "embedded_ipv4",
    "make_peer_check",
    "peer_check_for",
    "refusal_reason",
]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_CGNAT = ipaddress.IPv4Network("100.64.0.0/10")  # RFC 6598 shared address space
_METADATA = ipaddress.IPv4Address("169.254.169.254")
_NAT64_WELL_KNOWN = ipaddress.IPv6Network("64:ff9b::/96")  # RFC 6052 §2.1
_NAT64_LOCAL = ipaddress.IPv6Network("64:ff9b:1::/48")  # RFC 8215: operator's own translator
_IPV4_TRANSLATED = ipaddress.IPv6Network("::ffff:0:0:0/96")  # RFC 2765 SIIT
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")  # RFC 4291 §2.5.5.1, deprecated


def embedded_ipv4(ip: ipaddress.IPv6Address) -> tuple[str, ipaddress.IPv4Address] | None:
    """The IPv4 address an IPv6 address carries, with the name of the form; else None."""
    if ip.ipv4_mapped is not None:
        return "IPv4-mapped", ip.ipv4_mapped
    low32 = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip in _IPV4_TRANSLATED:
        return "IPv4-translated", low32
    if ip in _NAT64_WELL_KNOWN:
        return "NAT64", low32
    if ip.sixtofour is not None:
        return "6to4", ip.sixtofour
    # :: and ::1 are the IPv6 unspecified and loopback addresses, not IPv4-compatible ones.
    if ip in _IPV4_COMPATIBLE and int(ip) > 1:
        return "IPv4-compatible", low32
    return None


def _ipv4_category(ip: ipaddress.IPv4Address) -> str | None:
    if ip.is_unspecified:
        return "unspecified"
    if ip.is_loopback:
        return "loopback"
    if ip == _METADATA:
        return "link-local (cloud metadata service)"
    if ip.is_link_local:
        return "link-local"
    if ip.is_multicast:
        return "multicast"  # is_global is True for 224/4, so it must be asked first
    if ip in _CGNAT:
        return "shared (carrier-grade NAT)"
    if ip.is_reserved:
        return "reserved"
    if ip.is_private:
        return "private or special-purpose"
    if not ip.is_global:
        return "not globally routable"
    return None


def _ipv6_category(ip: ipaddress.IPv6Address) -> str | None:
    if ip.is_unspecified:
        return "unspecified"
    if ip.is_loopback:
        return "loopback"
    if ip.is_link_local:
        return "link-local"
    if ip.is_multicast:
        return "multicast"
    if ip.is_site_local:
        return "site-local"  # deprecated (RFC 3879) but still routed inside some networks
    if ip in _NAT64_LOCAL:
        return "local-use NAT64"
    if ip.is_private:
        return "private or special-purpose"
    if ip.is_reserved:
        return "reserved"
    if not ip.is_global:
        return "not globally routable"
    return None


def _plain(ip: IPAddress) -> IPAddress:
    # A scope id ("fe80::1%eth0") would make membership tests against networks fail.
    if isinstance(ip, ipaddress.IPv6Address) and ip.scope_id:
        return ipaddress.IPv6Address(int(ip))
    return ip


def _a(words: str) -> str:
    return f"an {words}" if words[0] in "aeiou" else f"a {words}"


def _allowed(ip: IPAddress, allow: tuple[IPNetwork, ...]) -> bool:
    return any(ip.version == net.version and ip in net for net in allow)


def refusal_reason(ip: IPAddress, allow: Iterable[IPNetwork] = ()) -> str | None:
    """Why connecting to ``ip`` is refused, or None when it is allowed. Pure.

    An address inside ``allow`` is allowed; so is an IPv6 form whose embedded IPv4 address is
    inside ``allow`` (allowing ``127.0.0.1/32`` allows ``::ffff:127.0.0.1`` too).
    """
    networks = tuple(allow)
    ip = _plain(ip)
    embedded = embedded_ipv4(ip) if isinstance(ip, ipaddress.IPv6Address) else None
    if _allowed(ip, networks) or (embedded is not None and _allowed(embedded[1], networks)):
        return None
    if embedded is not None:
        form, v4 = embedded
        if form == "IPv4-compatible":
            return f"{ip} is an IPv4-compatible IPv6 address (deprecated, never fetched)"
        inner = _ipv4_category(v4)
        if inner is not None:
            return f"{ip} is the {form} form of {v4}, {_a(inner)} address"
        # The translator or dual-stack socket delivers to a public IPv4 address: fine.
        return None
    category = _ipv4_category(ip) if isinstance(ip, ipaddress.IPv4Address) else _ipv6_category(ip)
    if category is None:
        return None
    return f"{ip} is {_a(category)} address"


def make_peer_check(allow: Iterable[IPNetwork] = ()) -> PeerCheck:
    """A ``peer_check`` for :class:`~ingest.fetch.Fetcher` refusing non-public peers.

    The message names the host as well, so a source's error says which link led there.
    """
    networks = tuple(allow)

    def check(host: str, ip: IPAddress) -> str | None:
        reason = refusal_reason(ip, networks)
        if reason is None:
            return None
        return f"refused to connect to {host}: {reason} (not in [http] allow_networks)"

    return check


def peer_check_for(settings: HttpSettings) -> PeerCheck:
    """The peer check the daemon uses: the policy above, opened by ``allow_networks``."""
    return make_peer_check(settings.networks)
