"""Where a webhook may be sent. Subscription URLs are chosen by API users, so without a guard the server could
be made to POST into its own network (SSRF): loopback services, private ranges, cloud metadata at 169.254.169.254.
Such targets are refused unless MARKETCAST_WEBHOOK_ALLOW_PRIVATE_URLS is true (local development, tests).

Checked twice: the URL's host when a subscription is made (an IP literal or "localhost"; no DNS then), and the
addresses a host name resolves to just before each delivery, since a name can point anywhere and change later."""

import ipaddress
import re
import socket
from urllib.parse import urlsplit

from marketcast.core.settings import get_settings

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

# Characters of the legacy IPv4 spellings (2130706433, 0x7f.1, 127.1) that resolvers still accept.
_LEGACY_V4 = re.compile(r"^[0-9a-fx.]+$")


def private_allowed() -> bool:
    return get_settings().webhook_allow_private_urls


def refused_address(ip: Address) -> str | None:
    """Why `ip` is no place for a webhook ("loopback", "private", …), or None when it is public."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # ::ffff:127.0.0.1 reaches 127.0.0.1
    for kind, hit in (("unspecified", ip.is_unspecified), ("loopback", ip.is_loopback),
                      ("link-local", ip.is_link_local), ("multicast", ip.is_multicast), ("private", ip.is_private)):
        if hit:
            return kind
    return None


def _literal(host: str) -> Address | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if _LEGACY_V4.match(host) and any(c.isdigit() for c in host):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))  # parses only, never asks DNS
        except OSError:
            return None
    return None


def refused_host(host: str) -> str | None:
    """Why the host of a subscription URL is refused, judged without DNS; None when it may be used."""
    name = host.lower().rstrip(".")
    if name == "localhost" or name.endswith(".localhost"):  # RFC 6761: always the local machine
        return f"{host} is the local machine"
    ip = _literal(name)
    kind = refused_address(ip) if ip is not None else None
    return f"{host} is a {kind} address" if kind else None


def refused_target(url: str) -> str | None:
    """Why the receiver of `url` must not be called now, after resolving its host; None when it may.

    Every address the name resolves to must be public: the connection may use any of them."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    why = refused_host(host)
    if why:
        return why
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError, ValueError) as exc:  # ValueError: a port out of range
        return f"cannot resolve {host}: {exc}"
    for *_, sockaddr in infos:
        address = ipaddress.ip_address(sockaddr[0].split("%", 1)[0])  # drop an IPv6 zone id
        kind = refused_address(address)
        if kind:
            return f"{host} resolves to {address}, a {kind} address"
    return None
