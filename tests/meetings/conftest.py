from tests.meetings.minutes_fixtures import minutes_cell  # noqa: F401 (the minutes' tests' fixture)
