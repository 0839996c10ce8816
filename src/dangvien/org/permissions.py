"""What the roles may do with the unit tree (registered with accounts.permissions)."""

from dangvien.accounts.models import Role
from dangvien.accounts.permissions import register

UNIT_VIEW = register("UNIT_VIEW", "unit.view",
                     roles={Role.COMMITTEE_OFFICER, Role.CELL_SECRETARY, Role.CARD_OFFICER})
UNIT_MANAGE = register("UNIT_MANAGE", "unit.manage", roles={Role.COMMITTEE_OFFICER})
