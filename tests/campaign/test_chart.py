"""The progress chart's vertical axis counts in round steps whatever the number of members."""

import pytest

from dangvien.campaign.chart import axis_step


@pytest.mark.parametrize(("top", "step"), [
    (1, 1), (3, 1), (6, 2), (7, 2), (9, 5), (40, 10), (646, 200), (1_718, 500), (141_794, 50_000),
])
def test_the_axis_steps_are_round(top, step):
    assert axis_step(top) == step
