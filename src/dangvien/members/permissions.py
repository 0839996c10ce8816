"""What the roles may do with member records (registered with accounts.permissions)."""

from dangvien.accounts.models import Role
from dangvien.accounts.permissions import register

# Every user sees their own record (a member's handbook); officers their subtree.
MEMBER_VIEW = register("MEMBER_VIEW", "member.view",
                       roles={Role.COMMITTEE_OFFICER, Role.CELL_SECRETARY, Role.CARD_OFFICER}, own_record=True)
# Lifecycle events and data corrections.
MEMBER_MANAGE = register("MEMBER_MANAGE", "member.manage", roles={Role.COMMITTEE_OFFICER})
# Phone, residence and the smartphone flag: a cell secretary keeps these current.
MEMBER_EDIT_CONTACT = register("MEMBER_EDIT_CONTACT", "member.edit_contact",
                               roles={Role.COMMITTEE_OFFICER, Role.CELL_SECRETARY})
# Cards: credentials/permissions.py (CARD_VIEW, CARD_ISSUE, CARD_REVOKE, CARD_EXPORT).
# The cell's yearly records of its members: year-end evaluations and party fees paid.
EVALUATION_RECORD = register("EVALUATION_RECORD", "member.evaluation_record",
                             roles={Role.COMMITTEE_OFFICER, Role.CELL_SECRETARY})
FEE_RECORD = register("FEE_RECORD", "member.fee_record", roles={Role.COMMITTEE_OFFICER, Role.CELL_SECRETARY})
