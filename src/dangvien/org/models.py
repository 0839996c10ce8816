"""The unit tree: province → commune committee → grassroots organization → (sub-committee) → cell
→ (party group), as a materialized path so that a subtree is one indexed range query."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

# The path: SEGMENT digits a level (core.scope), so a subtree is one index range.


class UnitKind(models.TextChoices):
    PROVINCE = "province", _("Provincial committee")
    COMMUNE = "commune", _("Commune committee")
    GRASSROOTS_COMMITTEE = "grassroots_committee", _("Grassroots committee")
    GRASSROOTS_CELL = "grassroots_cell", _("Grassroots cell")
    SUB_COMMITTEE = "sub_committee", _("Sub-committee")
    CELL = "cell", _("Cell")
    PARTY_GROUP = "party_group", _("Party group")


# Which kinds may sit directly under which (QĐ 294-QĐ/TW, 2025).
ALLOWED_CHILDREN: dict[str, set[str]] = {
    UnitKind.PROVINCE: {UnitKind.COMMUNE},
    UnitKind.COMMUNE: {UnitKind.GRASSROOTS_COMMITTEE, UnitKind.GRASSROOTS_CELL},
    UnitKind.GRASSROOTS_COMMITTEE: {UnitKind.SUB_COMMITTEE, UnitKind.CELL},
    UnitKind.SUB_COMMITTEE: {UnitKind.CELL},
    UnitKind.GRASSROOTS_CELL: {UnitKind.PARTY_GROUP},
    UnitKind.CELL: {UnitKind.PARTY_GROUP},
    UnitKind.PARTY_GROUP: set(),
}
# Kinds whose label depends on the place, read from the unit's name (QĐ 294-QĐ/TW names them so).
_NAMED_KINDS = [
    (UnitKind.COMMUNE, "đảng bộ phường", _("Ward committee")),
    (UnitKind.COMMUNE, "đảng bộ đặc khu", _("Special zone committee")),
    (UnitKind.PROVINCE, "đảng bộ thành phố", _("City committee")),
]
# Units that members belong to (a "chi bộ").
MEMBER_UNIT_KINDS = frozenset({UnitKind.CELL, UnitKind.GRASSROOTS_CELL})


class Unit(models.Model):
    kind = models.CharField(_("kind"), max_length=32, choices=UnitKind.choices)
    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=255)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    path = models.CharField(max_length=64, unique=True)  # unique → indexed on both databases
    depth = models.PositiveSmallIntegerField()
    sort_key = models.CharField(max_length=1100, default="")  # collation_key of a name of up to 255

    class Meta:
        ordering = ["path"]
        verbose_name = _("unit")
        verbose_name_plural = _("units")

    def __str__(self) -> str:
        return self.name

    @property
    def kind_label(self) -> str:
        """The kind as the unit calls itself: a commune-level committee is a commune's, a ward's or a
        special zone's (Đảng bộ xã / phường / đặc khu), a province-level one a province's or a
        city's, as its name says."""
        name = self.name.casefold()
        for kind, prefix, label in _NAMED_KINDS:
            if self.kind == kind and name.startswith(prefix):
                return str(label)
        return str(UnitKind(self.kind).label)

    @property
    def holds_members(self) -> bool:
        return self.kind in MEMBER_UNIT_KINDS
