"""The client's address: taken from ``X-Forwarded-For`` only through configured proxies.

The hole it closes: the shipped deployment trusted forwarded headers from anywhere, so a client
that sent its own ``X-Forwarded-For`` got a fresh sign-in limit for every guess.
"""

from ipaddress import ip_network

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.config import Settings
from hub.limits.clients import address_key, forwarded_client, parse_trusted

LOCAL = parse_trusted("127.0.0.1")
COMPOSE = parse_trusted("172.30.0.10, 10.0.0.0/8")


def test_nothing_is_trusted_by_default() -> None:
    assert Settings(database_url="sqlite+aiosqlite://").trusted_networks() == ()
    assert forwarded_client("127.0.0.1", ["198.51.100.1"], ()) == "127.0.0.1"


def test_an_untrusted_peer_is_the_client_whatever_it_forwards() -> None:
    assert forwarded_client("203.0.113.9", ["198.51.100.1"], LOCAL) == "203.0.113.9"


def test_the_address_the_proxy_appended_is_the_client() -> None:
    assert forwarded_client("127.0.0.1", ["203.0.113.7"], LOCAL) == "203.0.113.7"


def test_a_forged_leftmost_value_is_ignored() -> None:
    """The client sent ``X-Forwarded-For: 6.6.6.6``; nginx appended the real address."""
    assert forwarded_client("127.0.0.1", ["6.6.6.6, 203.0.113.7"], LOCAL) == "203.0.113.7"
    assert forwarded_client("127.0.0.1", ["6.6.6.6", "203.0.113.7"], LOCAL) == "203.0.113.7"


def test_trusted_hops_are_skipped_from_the_right() -> None:
    header = ["6.6.6.6, 203.0.113.7, 10.1.2.3"]
    assert forwarded_client("172.30.0.10", header, COMPOSE) == "203.0.113.7"


def test_a_trusted_peer_without_header_is_the_client() -> None:
    assert forwarded_client("127.0.0.1", [], LOCAL) == "127.0.0.1"


def test_garbage_appended_by_a_proxy_falls_back_to_the_last_trusted_hop() -> None:
    assert forwarded_client("127.0.0.1", ["203.0.113.7, not-an-ip"], LOCAL) == "127.0.0.1"


def test_ipv6_clients_are_counted_per_slash_64() -> None:
    """An IPv6 subscriber gets a whole /64; counting per address would let it rotate freely."""
    assert address_key("2001:db8:1:2::1") == address_key("2001:db8:1:2:ffff::9")
    assert address_key("2001:db8:1:3::1") != address_key("2001:db8:1:2::1")
    assert address_key("203.0.113.7") == "203.0.113.7"
    assert address_key("::ffff:203.0.113.7") == "203.0.113.7"


def test_settings_read_addresses_and_networks() -> None:
    settings = Settings(database_url="sqlite+aiosqlite://", trusted_proxies="127.0.0.1, 10.0.0.0/8")
    assert settings.trusted_networks() == (ip_network("127.0.0.1/32"), ip_network("10.0.0.0/8"))


def test_a_bad_trusted_proxy_is_refused_at_start() -> None:
    with pytest.raises(ValueError, match="HUB_TRUSTED_PROXIES"):
        Settings(database_url="sqlite+aiosqlite://", trusted_proxies="127.0.0.1, *")


addresses = st.ip_addresses(v=4).map(str)
#: A real client is never the proxy itself.
clients = addresses.filter(lambda a: a != "127.0.0.1")


@given(forged=st.lists(st.one_of(addresses, st.text(max_size=20)), max_size=5), real=clients)
def test_whatever_the_client_forges_the_answer_is_the_same(forged: list[str], real: str) -> None:
    """Anything left of the address nginx appends cannot change who the client is."""
    forged_header = ", ".join([*forged, real])
    assert forwarded_client("127.0.0.1", [forged_header], LOCAL) == forwarded_client(
        "127.0.0.1", [real], LOCAL
    )
