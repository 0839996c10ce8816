"""What the roles may do with party cards (registered with accounts.permissions).

Cards are the card data officers' work (the organizing committee's card team and the police working
group with it), each in their own subtree, as the campaign's steps are:

- CARD_VIEW: whoever keeps the members' records there (committee officers, cell secretaries, card
  officers) sees their cards; a member sees their own card (own_record).
- CARD_ISSUE: issuing, re-issuing after loss or damage, and the card photo: card officers only. A
  committee officer decides a re-issue (the cell reviews the loss, the committee decides); the card
  officer carries the decision out.
- CARD_REVOKE: revoking, suspending and reinstating a card: card officers and committee officers.
  The committee that expels or removes a member (MEMBER_MANAGE) revokes their card through the
  member hook anyway; revoking by hand is for a card issued in error, and suspending for a card
  reported lost until the cell has reviewed it.
- CARD_EXPORT: chip data and production batches leave the system: card officers only.

They replace members.permissions.CARD_MANAGE (card officers, unused until the cards landed).
"""

from dangvien.accounts.models import Role
from dangvien.accounts.permissions import register

CARD_VIEW = register("CARD_VIEW", "card.view",
                     roles={Role.COMMITTEE_OFFICER, Role.CELL_SECRETARY, Role.CARD_OFFICER}, own_record=True)
CARD_ISSUE = register("CARD_ISSUE", "card.issue", roles={Role.CARD_OFFICER})
CARD_REVOKE = register("CARD_REVOKE", "card.revoke", roles={Role.CARD_OFFICER, Role.COMMITTEE_OFFICER})
CARD_EXPORT = register("CARD_EXPORT", "card.export", roles={Role.CARD_OFFICER})
