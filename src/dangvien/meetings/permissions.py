"""What the roles may do with meetings (registered with accounts.permissions)."""

from dangvien.accounts.models import Role
from dangvien.accounts.permissions import register

# Schedule, edit and cancel meetings, take attendance, write and approve the minutes, record votes:
# a cell secretary in their cell; a committee officer in every unit of their subtree (a committee's
# own meetings, and help to a cell).
MEETING_MANAGE = register("MEETING_MANAGE", "meeting.manage",
                          roles={Role.COMMITTEE_OFFICER, Role.CELL_SECRETARY})
# See meetings: officers in their subtree. A member sees the meetings of their own cell and those
# they are invited to (meetings.selectors.meetings_visible_to), not through a unit grant.
MEETING_VIEW = register("MEETING_VIEW", "meeting.view",
                        roles={Role.COMMITTEE_OFFICER, Role.CELL_SECRETARY})
