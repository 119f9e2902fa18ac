"""Where a request may connect: name resolution, ``connect_to`` overrides, and the address guard.

The guard runs on the address newsarc actually connects to (after DNS, on every redirect hop,
since each hop is a new request through the handler), so a public name that resolves to a
private address is refused too, and DNS rebinding cannot slip in between check and connect.

Policy:
- loopback, private (RFC 1918, ULA), link-local, unspecified, reserved and multicast addresses
  are refused unless ``allow_private`` is set (``--allow-private-addresses``);
- cloud metadata endpoints (169.254.169.254, 100.100.100.200, fd00:ec2::254) are refused
  **always**: no news crawl has a reason to fetch them, and the cost of doing so is credentials;
- a host mapped by ``connect_to`` (curl's ``--connect-to``: the user named the address) is trusted.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass

from archive.errors import PrivateAddressRefused

METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a) for a in ("169.254.169.254", "100.100.100.200", "fd00:ec2::254")
)


@dataclass(frozen=True)
class Target:
    ip: str
    port: int
    trusted: bool  # mapped explicitly by connect_to


def refusal_reason(ip: str, *, allow_private: bool) -> str | None:
    """Why newsarc will not connect to ``ip``, or None if it may."""
    addr = ipaddress.ip_address(ip)
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        addr = addr.ipv4_mapped
    if addr in METADATA_ADDRESSES:
        return "metadata"
    if allow_private:
        return None
    for reason, flag in (
        ("loopback", addr.is_loopback),
        ("unspecified", addr.is_unspecified),
        ("link_local", addr.is_link_local),
        ("private", addr.is_private),
        ("multicast", addr.is_multicast),
        ("reserved", addr.is_reserved),
    ):
        if flag:
            return reason
    return None


def parse_connect_to(items: dict[str, str] | None) -> dict[str, tuple[str, int]]:
    """``{"globe.test": "127.0.0.1:8080"}`` → ``{"globe.test": ("127.0.0.1", 8080)}``.

    Keys are a host name, ``host:port``, or a pattern ``*.suffix`` (every host under it, with
    or without ``:port``); values must be an IP address and port.
    """
    out: dict[str, tuple[str, int]] = {}
    for key, value in (items or {}).items():
        host, sep, port = value.rpartition(":")
        if not sep:
            raise ValueError(f"connect_to {key!r}: expected IP:PORT, got {value!r}")
        host = host.strip("[]")
        ipaddress.ip_address(host)
        out[key.lower()] = (host, int(port))
    return out


def lookup_connect_to(
    connect_to: dict[str, tuple[str, int]], host: str, port: int
) -> tuple[str, int] | None:
    """Where ``host:port`` is mapped: ``host:port``, then ``host``, then the longest matching
    ``*.suffix:port`` or ``*.suffix`` pattern; None when it is not mapped."""
    if not connect_to:
        return None
    host = host.lower()
    found = connect_to.get(f"{host}:{port}") or connect_to.get(host)
    if found is not None:
        return found
    labels = host.split(".")
    for i in range(1, len(labels)):
        suffix = "*." + ".".join(labels[i:])
        found = connect_to.get(f"{suffix}:{port}") or connect_to.get(suffix)
        if found is not None:
            return found
    return None


async def resolve(
    host: str,
    port: int,
    *,
    connect_to: dict[str, tuple[str, int]],
    allow_private: bool,
) -> Target:
    """Resolve ``host`` and apply the guard. Raises PrivateAddressRefused or OSError."""
    mapped = lookup_connect_to(connect_to, host, port)
    if mapped is not None:
        ip, mport = mapped
        reason = refusal_reason(ip, allow_private=True)
        if reason:
            raise PrivateAddressRefused(f"{host} maps to {ip}, a {reason} address")
        return Target(ip, mport, trusted=True)
    try:
        ip = str(ipaddress.ip_address(host.strip("[]")))
    except ValueError:
        loop = asyncio.get_running_loop()
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        if not infos:
            raise OSError(f"cannot resolve {host}") from None
        ip = str(infos[0][4][0])
    reason = refusal_reason(ip, allow_private=allow_private)
    if reason:
        raise PrivateAddressRefused(f"{host} resolves to {ip}, a {reason} address")
    return Target(ip, port, trusted=False)


async def check_target(
    host: str,
    port: int,
    *,
    connect_to: dict[str, tuple[str, int]],
    allow_private: bool,
) -> None:
    """The guard for a target reached through a proxy (which resolves and connects itself).

    An IP literal, a ``connect_to`` mapping or a name this machine resolves is checked as for a
    direct fetch (``localhost`` and names that resolve to private addresses are refused); a name
    this machine cannot resolve is left to the proxy, as it must be where only the proxy has DNS.
    """
    try:
        await resolve(host, port, connect_to=connect_to, allow_private=allow_private)
    except OSError:
        return
