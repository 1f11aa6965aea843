"""core.bulk: many rows written at once (COPY and one UPDATE on PostgreSQL, executemany elsewhere) store what the
ORM would store, and its JSON text is json.dumps' own."""

import json
from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from marketcast.core import bulk
from marketcast.core.outbox import OutboxEvent

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12)

WHEN = datetime(2024, 7, 1, 4, 0, tzinfo=UTC)


@given(json_values)
def test_dumps_is_json_dumps(value):
    assert bulk.dumps(value) == json.dumps(value)


@given(st.dictionaries(st.text(max_size=8), json_values, min_size=1, max_size=4))
def test_an_object_with_members_given_as_text_is_json_dumps_of_it(value):
    first = next(iter(value))
    given_as_text = {first: bulk.JsonText(json.dumps(value[first]))}
    assert json.loads(bulk.json_object(value, **given_as_text)) == value
    assert bulk.json_object(value, **given_as_text) == json.dumps(value)


def test_a_memo_encodes_each_shared_item_once_and_as_json_dumps_does():
    shared = {"rule": "gmv", "passed": True}
    memo = bulk.JsonMemo()
    assert memo.array([shared, {"rule": "age"}]) == json.dumps([shared, {"rule": "age"}])
    shared["passed"] = False  # the memo's contract: shared items do not change while it lives
    assert memo.array([shared]) == '[{"rule": "gmv", "passed": true}]'


def _events(db) -> dict[str, tuple]:
    with db(write=False) as s:
        return {e.id: (e.type, e.occurred_at, e.market, e.data, e.dispatched) for e in s.scalars(select(OutboxEvent))}


def test_inserted_and_updated_rows_read_back_as_the_orm_wrote_them(db):
    rows = [{"id": "evt_1", "type": "a.one", "occurred_at": WHEN, "market": "US", "data": {"n": 1, "s": "é"},
             "dispatched": False},
            {"id": "evt_2", "type": "a.two", "occurred_at": WHEN, "market": None,
             "data": bulk.JsonText(json.dumps({"list": [1, None]})), "dispatched": False}]
    with db() as s:
        bulk.insert_rows(s, OutboxEvent.__table__, rows)
    assert _events(db) == {"evt_1": ("a.one", WHEN, "US", {"n": 1, "s": "é"}, False),
                           "evt_2": ("a.two", WHEN, None, {"list": [1, None]}, False)}
    with db() as s:
        bulk.update_by_id(s, OutboxEvent, [{"id": "evt_1", "market": None, "data": bulk.JsonText('{"n": 2}')},
                                           {"id": "evt_2", "market": "GB", "data": ["x"]}],
                          same={"dispatched": True})
    assert _events(db) == {"evt_1": ("a.one", WHEN, None, {"n": 2}, True),
                           "evt_2": ("a.two", WHEN, "GB", ["x"], True)}


def test_rows_copied_as_tuples_keep_their_json_text(db):
    columns = ("id", "type", "occurred_at", "market", "data", "dispatched")
    with db() as s:
        bulk.copy_rows(s, OutboxEvent.__table__, columns,
                       iter([("evt_3", "b.one", WHEN, "US", '{"a": [1, 2]}', False)]))
        bulk.copy_rows(s, OutboxEvent.__table__, columns, iter([]))  # nothing to write is nothing written
    assert _events(db) == {"evt_3": ("b.one", WHEN, "US", {"a": [1, 2]}, False)}
