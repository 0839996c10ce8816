"""What the roles may do in the handbook (registered with accounts.permissions)."""

from dangvien.accounts.models import Role
from dangvien.accounts.permissions import register

# A cell's handbook work: its members' account status, codes, assisted registration. Committee
# officers may do it for every cell of their subtree.
HANDBOOK_CELL = register("HANDBOOK_CELL", "handbook.cell", roles={Role.COMMITTEE_OFFICER, Role.CELL_SECRETARY})
# Publishing the rights-and-duties text: system administrators only (they hold every permission).
HANDBOOK_CONTENT = register("HANDBOOK_CONTENT", "handbook.content", roles=set())
