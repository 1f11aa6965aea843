"""The affiliate side of the US story: open and targeted collaborations on the story's shops, sales through
creators' links and a video, one partial refund, and the first statements of 1 August."""

import json

from sqlalchemy import select
from typer.testing import CliRunner

from marketcast.affiliate.models import Collaboration, Commission, Statement
from marketcast.cli import app as cli
from marketcast.core.db import unit_of_work

runner = CliRunner()


def test_the_story_sells_through_creators_and_settles(settings_env):
    settings_env(MARKETCAST_SCENARIO_CREATORS="300")
    result = runner.invoke(cli, ["scenario", "tiktok-us-2024", "--json", "--at", "2024-08-02"])
    assert result.exit_code == 0, result.output
    # The three most followed creators of the population: the first sells mugs (15%, one of two refunded) and a
    # candle (12%), the second two large candles (12%), the third a mug.
    story = sorted(json.loads(result.stdout)["us_affiliate"]["creators"], key=lambda c: -c["followers"])
    assert [c["commissions"] for c in story] == [{"settled": 360 + 216}, {"settled": 672}, {"settled": 360}]
    with unit_of_work(write=False) as s:
        kinds = sorted(s.scalars(select(Collaboration.kind)))
        commissions = list(s.scalars(select(Commission)))
        statements = list(s.scalars(select(Statement)))
    assert kinds == ["open", "targeted"]
    assert sorted(c.source for c in commissions) == ["link", "link", "link", "video"]
    assert [c.refunded_quantity for c in commissions if c.refunded_quantity] == [1]
    assert len(statements) == 3 and all(st.total == st.carried_out and st.paid_out == 0 for st in statements)
    again = runner.invoke(cli, ["scenario", "tiktok-us-2024", "--json"])
    assert again.exit_code == 0
    with unit_of_work(write=False) as s:
        assert len(list(s.scalars(select(Commission)))) == 4  # loading twice changes nothing
