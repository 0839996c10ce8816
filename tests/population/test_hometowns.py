"""Hometowns mapped to the post-2025 units, from new and from abolished units, with no network."""

from __future__ import annotations

import socket

import pytest

from dangvien.population import hometowns


@pytest.fixture
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the hometown mapping tried to reach the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    hometowns.map_place.cache_clear()
    yield
    hometowns.map_place.cache_clear()


@pytest.mark.parametrize(("written", "mapped"), [
    # Post-2025 units, with or without the unit type.
    ("Xã Ia Băng, tỉnh Gia Lai", ("xa ia bang", "gia lai")),
    ("Ia Băng, Gia Lai", ("xa ia bang", "gia lai")),
    # Abolished units: Bình Định merged into Gia Lai; Cát Tân (Phù Cát district) into Xã Phù Cát.
    ("Xã Cát Tân, huyện Phù Cát, tỉnh Bình Định", ("xa phu cat", "gia lai")),
    ("Xã Cát Tân, Bình Định", ("xa phu cat", "gia lai")),
    ("xa cat tan, binh dinh", ("xa phu cat", "gia lai")),
    ("Thôn 5, Xã Cát Tân, huyện Phù Cát, Bình Định", ("xa phu cat", "gia lai")),
    # A province alone; a commune that does not exist keeps the province.
    ("Bình Định", ("", "gia lai")),
    ("Xã Không Có, Gia Lai", ("", "gia lai")),
    # Phường 1 existed in many districts of the old city: the commune is not known without one.
    ("Phường 1, Hồ Chí Minh", ("", "ho chi minh")),
    ("", ("", "")),
])
def test_mapped_without_the_network(no_network, written, mapped):
    assert hometowns.map_place(*hometowns.split_hometown(written)) == mapped


def test_a_street_is_never_converted(no_network):
    # Given a street, the library would geocode the address; we refuse to convert it at all.
    assert hometowns._convert("12 Lê Lợi, Phường Trần Phú, Thành phố Quy Nhơn, Bình Định") == hometowns.UNKNOWN


def test_distinct_places_mapped_once(no_network):
    places = [("Xã Cát Tân", "", "Bình Định")] * 1000 + [("Ia Băng", "", "Gia Lai")]
    mapped = hometowns.map_places(places)
    assert len(mapped) == 2
    assert hometowns.map_place.cache_info().misses == 2
