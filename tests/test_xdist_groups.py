"""`make test` runs the suite on two workers with `--dist loadgroup`, so that the modules marked
`xdist_group` (the demo site, the press-figure provinces) build their slow data once, on one worker.
pytest 9.2 silently undid that grouping (pytest-dev/pytest-xdist#1386: the tests were spread over
both workers and each built the data again, a minute of the suite's time on each database). This
fails if the grouping stops working again."""

import pytest

pytestmark = pytest.mark.xdist_group("grouping-check")


def test_a_grouped_test_is_scheduled_with_its_group(request):
    # On a worker xdist says "loadgroup" here (its own option "dist" reads "no" there).
    if not getattr(request.config.option, "loadgroup", False):
        pytest.skip("only xdist's --dist loadgroup groups tests (make test passes it)")
    # xdist's loadgroup scheduler sends together the tests whose node id ends in "@<group>".
    assert request.node.nodeid.endswith("@grouping-check"), request.node.nodeid
