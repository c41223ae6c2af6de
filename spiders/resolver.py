"""The crawler's DNS resolver: the address a connection is made to is the one checked. A name
whose answer is not a globally routable address (private, loopback, link-local, shared
100.64.0.0/10 such as a cloud's metadata service at 100.100.100.200, reserved) fails to resolve
with UnsafeAddressError, so a site cannot point the crawler at the user's own network by
answering DNS one way when checked and another when connected to (the answer checked is the
answer used). Off in the demo and tests (QUN_ALLOW_PRIVATE), where sites are served on
loopback."""

from __future__ import annotations

import ipaddress
import socket
from typing import Any

from scrapy.crawler import Crawler
from scrapy.resolver import CachingThreadedResolver
from twisted.internet.error import DNSLookupError


class UnsafeAddressError(DNSLookupError):
    """The host resolves to an address that is not globally routable."""


# Names refused in this process, with why: Twisted reports any failed resolution to the
# connection as "no results", so the spider looks the reason up here (one crawl per process).
REFUSED: dict[str, str] = {}


def refusal(host: str) -> str | None:
    """Why `host` was refused by the resolver, if it was."""
    return REFUSED.get(host)


def unsafe_ip(address: str) -> bool:
    """Whether `address` is anything but a globally routable unicast address."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    return not ip.is_global or ip.is_multicast


def non_public(host: str) -> str | None:
    """The non-public address `host` is or resolves to, if any (None when it is public or does
    not resolve: a crawl then records its own DNS error)."""
    try:
        return host if unsafe_ip(host) else None
    except ValueError:
        pass  # a name
    try:
        infos = socket.getaddrinfo(host, None)
    except OSError:
        return None
    return next((str(i[4][0]) for i in infos if unsafe_ip(str(i[4][0]))), None)


class PublicOnlyResolver(CachingThreadedResolver):
    """Scrapy's caching resolver, refusing answers that are not globally routable."""

    allow_private = False

    @classmethod
    def from_crawler(cls, crawler: Crawler, reactor: Any) -> PublicOnlyResolver:
        resolver = super().from_crawler(crawler, reactor)
        resolver.allow_private = crawler.settings.getbool("QUN_ALLOW_PRIVATE")
        return resolver

    def getHostByName(self, name: str, timeout: Any = ()) -> Any:  # noqa: N802 (Twisted's name)
        answer = super().getHostByName(name, timeout)
        if self.allow_private:
            return answer
        return answer.addCallback(self._public, name)

    @staticmethod
    def _public(address: str, name: str) -> str:
        if unsafe_ip(address):
            REFUSED[name] = f"refused: {name} resolves to non-public address {address}"
            raise UnsafeAddressError(REFUSED[name])
        return address
