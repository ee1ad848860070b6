"""Whose address a request comes from.

REMOTE_ADDR is the peer that opened the connection. Only when that peer is one of the deployment's
own proxies (`TRUSTED_PROXIES`: addresses or CIDR ranges) is X-Forwarded-For believed, and then
read from the right: each trusted proxy appends the address it saw, so the rightmost hop that is
not a trusted proxy is the client. Anything to its left was written by the client and proves
nothing. With no trusted proxies (the default) the header is ignored altogether.

Rate limits, sign-in lockouts (axes, via AXES_CLIENT_IP_CALLABLE), the audit log and the metrics
allowlist all ask this one function.
"""

import ipaddress
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


@lru_cache(maxsize=8)
def _networks(entries):
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(str(entry).strip(), strict=False))
        except ValueError:
            raise ImproperlyConfigured(f"TRUSTED_PROXIES entry {entry!r} is not an IP address or CIDR range.") from None
    return tuple(networks)


def _parse(value):
    """An ip_address for a header or META value ("1.2.3.4", "1.2.3.4:80", "[2001:db8::1]:80"), or None."""
    value = (value or "").strip()
    if value.startswith("["):
        value = value[1:].partition("]")[0]
    elif value.count(":") == 1:
        value = value.partition(":")[0]
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    # A dual-stack socket reports IPv4 peers as ::ffff:a.b.c.d; compare and record them as IPv4.
    return getattr(address, "ipv4_mapped", None) or address


def _trusted(address, networks):
    return any(address.version == net.version and address in net for net in networks)


def client_ip(request):
    """The client's address as a string, or None when the request has no peer address."""
    peer = _parse(request.META.get("REMOTE_ADDR"))
    if peer is None:
        return request.META.get("REMOTE_ADDR") or None
    networks = _networks(tuple(getattr(settings, "TRUSTED_PROXIES", ()) or ()))
    client = peer
    if networks and _trusted(peer, networks):
        hops = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        for raw in reversed(hops):
            hop = _parse(raw)
            if hop is None:
                # Garbage where a proxy would have written an address: stop at the last hop we could
                # vouch for rather than guess.
                break
            client = hop
            if not _trusted(hop, networks):
                break
    return str(client)
