"""Where a webhook may be sent. Subscription URLs are chosen by API users, so without a guard the server could
be made to POST into its own network (SSRF): loopback services, private ranges, cloud metadata at 169.254.169.254.
Such targets are refused unless MARKETCAST_WEBHOOK_ALLOW_PRIVATE_URLS is true (local development, tests).

Only global addresses are allowed (`ipaddress`'s `is_global`), after decoding the IPv4 address inside the IPv6
forms that lead to one (mapped, 6to4, NAT64, Teredo); so also shared 100.64.0.0/10 (cloud metadata lives there
too) and site-local fec0::/10. Checked twice: the URL's host when a subscription is made (an IP literal or
"localhost"; no DNS then), and the addresses a host name resolves to just before each delivery, since a name can
point anywhere and change later. The delivery then connects to the address that was checked (`pinned_client`),
never resolving the name again, so a name that changes between the check and the connection (DNS rebinding)
cannot lead anywhere else."""

import ipaddress
import re
import socket
from urllib.parse import urlsplit

import httpcore
import httpx

from marketcast.core.settings import get_settings

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

# Characters of the legacy IPv4 spellings (2130706433, 0x7f.1, 127.1) that resolvers still accept.
_LEGACY_V4 = re.compile(r"^[0-9a-fx.]+$")


def private_allowed() -> bool:
    return get_settings().webhook_allow_private_urls


_NAT64 = ipaddress.ip_network("64:ff9b::/96")  # RFC 6052: the last 32 bits are the IPv4 address reached


def _inner_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address leads to (mapped, 6to4, NAT64, Teredo's client), if any."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return ip.teredo[1] if ip.teredo is not None else None


def refused_address(ip: Address) -> str | None:
    """Why `ip` is no place for a webhook ("loopback", "private", …), or None when it is global."""
    if isinstance(ip, ipaddress.IPv6Address):
        ip = _inner_ipv4(ip) or ip  # ::ffff:127.0.0.1, 2002:7f00:1::, 64:ff9b::7f00:1 all reach 127.0.0.1
    for kind, hit in (("unspecified", ip.is_unspecified), ("loopback", ip.is_loopback),
                      ("link-local", ip.is_link_local), ("multicast", ip.is_multicast), ("private", ip.is_private),
                      ("site-local", isinstance(ip, ipaddress.IPv6Address) and ip.is_site_local),
                      ("non-global", not ip.is_global)):
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


def resolve_target(url: str, *, allow_private: bool) -> tuple[str | None, str | None]:
    """(the address to connect to, None), or (None, why the receiver of `url` must not be called now).

    Every address the name resolves to must be global (unless private ones are allowed): the name's owner chose
    them all. The first is the one to connect to."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    why = None if allow_private else refused_host(host)
    if why:
        return None, why
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError, ValueError) as exc:  # ValueError: a port out of range
        return None, f"cannot resolve {host}: {exc}"
    # An IPv4 or IPv6 address as a string (an int only for families a name does not resolve to); no zone id.
    addresses = [ipaddress.ip_address(sockaddr[0].split("%", 1)[0]) for *_, sockaddr in infos
                 if isinstance(sockaddr[0], str)]
    for address in [] if allow_private else addresses:
        kind = refused_address(address)
        if kind:
            return None, f"{host} resolves to {address}, a {kind} address"
    return (str(addresses[0]), None) if addresses else (None, f"cannot resolve {host}: no address")


class _PinnedBackend(httpcore.NetworkBackend):
    """Opens every TCP connection to one address, whatever host name it is asked for."""

    def __init__(self, address: str):
        self._address, self._backend = address, httpcore.SyncBackend()

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        return self._backend.connect_tcp(self._address, port, timeout=timeout, local_address=local_address,
                                         socket_options=socket_options)

    def connect_unix_socket(self, path, timeout=None, socket_options=None):
        raise httpcore.ConnectError("webhooks are sent over TCP only")

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)


def pinned_client(address: str, *, timeout: float) -> httpx.Client:
    """An HTTP client that connects to `address` only; the Host header, TLS SNI and certificate check still use
    the URL's host name, so HTTPS receivers work as usual."""
    transport = httpx.HTTPTransport()
    # httpx builds its connection pool without a way to pass a network backend; this is the same pool with ours.
    transport._pool = httpcore.ConnectionPool(ssl_context=httpx.create_ssl_context(),
                                              network_backend=_PinnedBackend(address))
    return httpx.Client(transport=transport, timeout=timeout, follow_redirects=False)
