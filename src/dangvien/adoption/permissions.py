"""What the roles may do with the handbook adoption report (registered with accounts.permissions).

Committee officers see the report of their subtree; a cell secretary sees their cell's. A member
sees no report (the roll's figures are not theirs), nor does a card data officer (not the handbook's
work)."""

from dangvien.accounts.models import Role
from dangvien.accounts.permissions import register

ADOPTION_VIEW = register("ADOPTION_VIEW", "adoption.view", roles={Role.COMMITTEE_OFFICER, Role.CELL_SECRETARY})
