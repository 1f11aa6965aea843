"""`marketcast creators import FILE.csv`: valid rows are written even when others are rejected, each rejection
with its line number, code, field and reason."""

import csv
import json

from typer.testing import CliRunner

from marketcast.cli import app as cli
from marketcast.core import clock
from marketcast.core.db import unit_of_work
from marketcast.creators import service
from tests.creators.test_creator_reevaluation import statuses


def test_a_file_with_broken_rows_writes_the_good_ones(tmp_path, creator, us, at, make_user):
    ids = {h: creator(handle=h)[1]["id"] for h in ("ana.sells", "bo_makes", "cy")}
    rows = ["handle,market,followers,as_of",
            "ana.sells,US,6200,2024-06-05",                 # line 2: active
            "BO_makes,us,\"1,500\",2024-06-05T10:00:00Z",   # line 3: still ineligible in June (5000 needed)
            "cy,US,lots,2024-06-05",                        # line 4: bad number
            "nobody,US,10,2024-06-05",                      # line 5: no such creator
            "x,US,10,2024-06-05",                           # line 6: bad handle
            "cy,US,10",                                     # line 7: a column missing
            "cy,US,10,2099-01-01",                          # line 8: in the future
            "cy,US,-4,2024-06-05",                          # line 9: negative
            "cy,ZZZ,10,2024-06-05",                         # line 10: bad market
            "",
            "cy,US,7000,yesterday"]                         # line 12: bad date
    path = tmp_path / "followers.csv"
    path.write_text("\n".join(rows) + "\n")
    rejects = tmp_path / "rejects.csv"
    with clock.frozen(at(2024, 6, 10)):
        result = CliRunner().invoke(cli, ["creators", "import", str(path), "--json", "--rejects", str(rejects)])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["written"] == 2
    assert [(r["line"], r["code"], r["field"]) for r in out["rejected"]] == [
        (4, "invalid_followers", "followers"), (5, "creator_not_found", "handle"), (6, "invalid_handle", "handle"),
        (7, "wrong_column_count", "row"), (8, "as_of_in_future", "as_of"), (9, "invalid_followers", "followers"),
        (10, "invalid_market", "market"), (12, "invalid_as_of", "as_of")]
    assert [r[:3] for r in csv.reader(rejects.open())][1] == ["4", "invalid_followers", "followers"]
    assert statuses([ids["ana.sells"], ids["bo_makes"], ids["cy"]]) == ["active", "ineligible", "ineligible"]
    with unit_of_work(write=False) as session:
        assert service.find(session, ids["bo_makes"]).followers == 1500
        assert service.find(session, ids["cy"]).followers == 0


def test_a_wrong_header_rejects_the_file(tmp_path, us):
    path = tmp_path / "bad.csv"
    path.write_text("user,count\nana,1\n")
    result = CliRunner().invoke(cli, ["creators", "import", str(path)])
    assert result.exit_code == 1 and "invalid_csv_header" in result.output


def test_an_operator_limited_to_markets_imports_only_theirs(tmp_path, creator, us, at, make_user):
    cid = creator(handle="usonly")[1]["id"]
    make_user("operator", markets=["ES"], email="es-ops@example.com")
    path = tmp_path / "f.csv"
    path.write_text("handle,market,followers,as_of\nusonly,US,9000,2024-06-01\n")
    with clock.frozen(at(2024, 6, 10)):
        result = CliRunner().invoke(cli, ["creators", "import", str(path), "--json", "--as", "es-ops@example.com"])
    out = json.loads(result.stdout)
    assert out["written"] == 0 and out["rejected"][0]["code"] == "market_out_of_scope"
    assert statuses([cid]) == ["ineligible"]


def test_the_api_import_is_all_or_nothing_unless_partial(client, creator, us, at, operator):
    from tests.creators.conftest import problem
    from tests.sellers.conftest import row_counts

    cid = creator(handle="api.one")[1]["id"]
    body = "handle,market,followers,as_of\napi.one,US,7000,2024-06-05\nghost,US,5,2024-06-05\n"
    with clock.frozen(at(2024, 6, 10)):
        before = row_counts()
        r = client.post("/api/v1/creators/imports", headers=operator, files={"file": ("f.csv", body, "text/csv")})
        found = problem(r, 422, "csv_rows_rejected", "file")
        assert found["rejected"] == [{"line": 3, "code": "creator_not_found", "field": "handle",
                                      "reason": "no creator with the handle ghost in US"}]
        assert row_counts() == before
        problem(client.post("/api/v1/creators/imports", headers=operator,
                            files={"file": ("f.csv", "nope\n", "text/csv")}), 422, "invalid_csv_header", "file")
        r = client.post("/api/v1/creators/imports", headers=operator, params={"partial": "true"},
                        files={"file": ("f.csv", body, "text/csv")})
    assert r.status_code == 200 and r.json()["written"] == 1 and len(r.json()["rejected"]) == 1
    assert statuses([cid]) == ["active"]
