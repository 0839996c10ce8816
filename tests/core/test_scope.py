"""core.scope: unit paths and the Scope value that every selector and service asks."""

from __future__ import annotations

import pytest
from django.db.models import Q

from dangvien.core.scope import Scope, ancestor_paths, subtree_filter, subtree_upper_bound
from dangvien.org.models import Unit


class Place:
    def __init__(self, path: str):
        self.path = path


class Record:
    def __init__(self, pk: int, path: str):
        self.pk, self.unit = pk, Place(path)


def test_paths_inside_another_are_dropped_and_sorted():
    scope = Scope.over(["00010002", "0001", "00020001", "00020001"])
    assert scope.paths == ("0001", "00020001")


def test_neighbouring_paths_sharing_digits_are_kept_apart():
    scope = Scope.over(["00010001", "00010010"])
    assert scope.paths == ("00010001", "00010010")
    assert scope.covers(Place("000100100003")) and not scope.covers(Place("00010011"))


def test_covers():
    scope = Scope.over(["00010002"])
    assert scope.covers(Place("00010002")) and scope.covers(Place("000100020005"))
    assert not scope.covers(Place("0001")) and not scope.covers(Place("00010003"))
    assert Scope.all().covers(Place("0009"))
    assert not Scope.none().covers(Place("0001"))


def test_self_scope_covers_the_own_record_only():
    own = Scope(member_id=7)
    assert own and not own.has_units
    assert own.covers_member(Record(7, "0001")) and not own.covers_member(Record(8, "0001"))
    assert not own.covers(Place("0001"))
    assert Scope.over(["0001"], member_id=7).covers_member(Record(8, "00010004"))


def test_truth():
    assert not Scope.none() and Scope.all() and Scope.over(["0001"])


def test_path_helpers():
    assert subtree_upper_bound("00010009") == "00010010"
    assert subtree_filter("0001", "unit__path") == {"unit__path__gte": "0001", "unit__path__lt": "0002"}
    assert ancestor_paths("000100020003") == ["0001", "00010002", "000100020003"]


@pytest.mark.django_db
def test_q_filters_and_stays_true_when_ored(world):
    def codes(q: Q) -> set[str]:
        return set(Unit.objects.filter(q).values_list("code", flat=True))

    everything = set(Unit.objects.values_list("code", flat=True))
    assert codes(Scope.over([world.commune_a.path]).q()) == {"GL-A", "GL-A-01", "GL-A-01-01", "GL-A-01-02"}
    assert codes(Scope.none().q()) == set()
    assert codes(Scope.all().q()) == everything
    # `Q(x) | Q()` would be just Q(x) in Django: everywhere must stay everywhere when ORed.
    assert codes(Q(code="GL-B") | Scope.all().q()) == everything
    assert codes(Q(code="GL-B") | Scope.none().q()) == {"GL-B"}
    assert codes(Q(code="GL-B") & Scope.all().q()) == {"GL-B"}


@pytest.mark.django_db
def test_own_q(world):
    from dangvien.members.models import Member

    assert list(Member.objects.filter(Scope(member_id=world.member_a1.pk).own_q())) == [world.member_a1]
    assert not Member.objects.filter(Scope.over([world.province.path]).own_q()).exists()
