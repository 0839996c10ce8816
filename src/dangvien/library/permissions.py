"""What the roles may do in the documents library, political study and feedback (registered with
accounts.permissions).

Reading follows where a document is published, not only the reader's grants: a document published
at a unit is for everyone in that unit's subtree, so a cell's member reads what the province, the
commune and the cell publish (library.selectors adds the units above the reader's own). A member
reads through their own member record (their cell and the units above it), not through the member
role, which grants nothing. Committees publish and answer; committees and cell secretaries count who
has read and studied.
"""

from dangvien.accounts.models import Role
from dangvien.accounts.permissions import register

LIBRARY_VIEW = register("LIBRARY_VIEW", "library.view", roles={
    Role.COMMITTEE_OFFICER, Role.CELL_SECRETARY, Role.CARD_OFFICER})
# Publish and withdraw documents and study topics at a unit; answer the opinions sent on them.
LIBRARY_PUBLISH = register("LIBRARY_PUBLISH", "library.publish", roles={Role.COMMITTEE_OFFICER})
# Read counts of documents and the study results of the members one may see.
LIBRARY_STATS = register("LIBRARY_STATS", "library.stats", roles={Role.COMMITTEE_OFFICER, Role.CELL_SECRETARY})
# Answer the feedback about the app sent from the subtree.
FEEDBACK_ANSWER = register("FEEDBACK_ANSWER", "feedback.answer", roles={Role.COMMITTEE_OFFICER})
