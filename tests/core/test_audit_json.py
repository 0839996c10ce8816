"""The audit chain hashes canonical JSON. It is written by orjson (fast, for bulk imports) and must
be byte for byte what the standard library's encoder writes with the same options, or rows
hashed before and after the switch would not verify."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dangvien.core.audit import canonical_json
from dangvien.core.bulk import _json_text

STDLIB = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)

# Any text a str can hold but lone surrogates (not valid UTF-8, never produced by decoding a file
# or a request): control characters, combining marks, astral characters, quotes and backslashes.
text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40)
leaf = st.one_of(st.none(), st.booleans(), st.integers(min_value=-(2**63), max_value=2**63 - 1), text)
value = st.recursive(leaf, lambda inner: st.one_of(st.lists(inner, max_size=5),
                                                    st.dictionaries(text, inner, max_size=6)), max_leaves=25)


@settings(max_examples=150, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(value, max_size=11))
def test_canonical_json_is_the_standard_librarys(payload):
    assert canonical_json(payload) == STDLIB.encode(payload).encode()


def test_what_orjson_refuses_still_encodes_the_same_way():
    payload = [2**70, {"b": 1, "a": "Nguyễn"}]
    assert canonical_json(payload) == STDLIB.encode(payload).encode()
    assert json.loads(_json_text({"seq": 2**70})) == {"seq": 2**70}


@settings(max_examples=200, derandomize=True, deadline=None)
@given(value)
def test_stored_json_reads_back_as_written(item):
    assert json.loads(_json_text(item)) == item
