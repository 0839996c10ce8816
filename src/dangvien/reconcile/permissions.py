"""What the roles may do with reconciliation results (registered with accounts.permissions).

Committee officers and card data officers check members' data against the population database:
both see the results, start runs and resolve review items and discrepancies in their subtree.
Accepting a discrepancy corrects the member record through the member services, which check
MEMBER_MANAGE on top of RECONCILE_RESOLVE."""

from dangvien.accounts.models import Role
from dangvien.accounts.permissions import register

_OFFICERS = {Role.COMMITTEE_OFFICER, Role.CARD_OFFICER}

RECONCILE_VIEW = register("RECONCILE_VIEW", "reconcile.view", roles=_OFFICERS)
RECONCILE_RUN = register("RECONCILE_RUN", "reconcile.run", roles=_OFFICERS)
RECONCILE_RESOLVE = register("RECONCILE_RESOLVE", "reconcile.resolve", roles=_OFFICERS)
