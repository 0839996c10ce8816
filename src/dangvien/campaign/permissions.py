"""What the roles may do in the card exchange campaign (registered with accounts.permissions).

Committee officers run campaigns in their subtree: create them, see the reports, urge lagging units,
and record steps like anyone in the working groups. Card data officers (the police working group)
record the steps and home visits. Cell secretaries see their cell's progress and record the steps a
cell does itself (the member's signature, the hand-over)."""

from dangvien.accounts.models import Role
from dangvien.accounts.permissions import register

CAMPAIGN_VIEW = register("CAMPAIGN_VIEW", "campaign.view",
                         roles={Role.COMMITTEE_OFFICER, Role.CARD_OFFICER, Role.CELL_SECRETARY})
CAMPAIGN_MANAGE = register("CAMPAIGN_MANAGE", "campaign.manage", roles={Role.COMMITTEE_OFFICER})
CAMPAIGN_RECORD = register("CAMPAIGN_RECORD", "campaign.record",
                           roles={Role.COMMITTEE_OFFICER, Role.CARD_OFFICER, Role.CELL_SECRETARY})
