"""What the roles may do in a campaign's field work (registered with accounts.permissions).

Committee officers form working groups in their subtree, put people in them, assign units and
tasks, and record home visits there. Being a person of a working group is not a role: it is a row
of the group (fieldwork.models.GroupPerson), and it lets that user see the group, update its tasks
and record home visits in the units assigned to the group (fieldwork.selectors)."""

from dangvien.accounts.models import Role
from dangvien.accounts.permissions import register

FIELDWORK_MANAGE = register("FIELDWORK_MANAGE", "fieldwork.manage", roles={Role.COMMITTEE_OFFICER})
# Raising a difficulty to the provincial working group: whoever works on the campaign in a unit.
FIELDWORK_RAISE = register("FIELDWORK_RAISE", "fieldwork.raise",
                           roles={Role.COMMITTEE_OFFICER, Role.CARD_OFFICER, Role.CELL_SECRETARY})
