"""`wir-survey quotas`: the required share in percent, interval baselines, the shipped plan."""
from __future__ import annotations

import json

import pytest


def test_required_reproduces_measure_3(runner):
    result = runner.invoke(args=["quotas", "required", "--baseline", "15", "--target", "17%",
                                 "--headcount", "1500", "--vacancies", "200"])
    assert result.exit_code == 0, result.output
    assert "Required share of new hires: 30 %" in result.output
    assert "V/N = 13.3 %" in result.output
    assert "cannot be reached" not in result.output


def test_required_json_gives_the_share_and_the_inputs(runner):
    result = runner.invoke(args=["quotas", "required", "--baseline", "12,3 %", "--target", "16",
                                 "--headcount", "1000", "--vacancies", "209.0395", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["required_share"] == pytest.approx(30.0, abs=1e-4)
    assert data["baseline"] == pytest.approx(12.3) and data["target"] == pytest.approx(16.0)
    assert data["headcount"] == 1000 and data["vacancies"] == pytest.approx(209.0395)
    assert data["unit"] == "percent" and data["reachable_by_hiring_alone"] is True


def test_required_with_an_interval_baseline_prints_an_interval(runner):
    args = ["quotas", "required", "--baseline", "12.1-14.9", "--target", "17", "--headcount", "1000",
            "--vacancies", "150"]
    text = runner.invoke(args=args)
    assert text.exit_code == 0, text.output
    # h = b + (0.17 − b)·1000/150: 14.9 % gives 28.9 %, 12.1 % gives 44.8 %.
    assert "Required share of new hires: 28.9 % to 44.8 %" in text.output
    assert "baseline 12.1 % to 14.9 %" in text.output
    data = json.loads(runner.invoke(args=[*args, "--json"]).output)
    assert data["baseline"] == {"lo": pytest.approx(12.1), "hi": pytest.approx(14.9)}
    assert data["required_share"]["lo"] == pytest.approx(28.9, abs=0.01)
    assert data["required_share"]["hi"] == pytest.approx(44.766667)


def test_required_says_when_hiring_alone_cannot_reach_the_target(runner):
    result = runner.invoke(args=["quotas", "required", "--baseline", "2", "--target", "60",
                                 "--headcount", "100", "--vacancies", "10"])
    assert result.exit_code == 0, result.output
    assert "582 %" in result.output and "cannot be reached by hiring alone" in result.output
    data = json.loads(runner.invoke(args=["quotas", "required", "--baseline", "2", "--target", "60",
                                          "--headcount", "100", "--vacancies", "10", "--json"]).output)
    assert data["required_share"] == pytest.approx(582.0) and data["reachable_by_hiring_alone"] is False


@pytest.mark.parametrize(("option", "value", "message"), [
    ("--baseline", "fifteen", "not a percentage"),
    ("--baseline", "150", "more than 100 %"),
    ("--baseline", "14.9-12.1", "the lower end comes first"),
    ("--target", "-3", "not a percentage"),
    ("--headcount", "0", "--headcount"),
    ("--vacancies", "-5", "--vacancies"),
    ("--vacancies", "2000", "exceed the headcount"),
])
def test_required_refuses_bad_input_with_a_usage_error(runner, option, value, message):
    values = {"--baseline": "15", "--target": "17", "--headcount": "1000", "--vacancies": "100", option: value}
    result = runner.invoke(args=["quotas", "required", *[part for item in values.items() for part in item]])
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_required_needs_every_input(runner):
    result = runner.invoke(args=["quotas", "required", "--baseline", "15", "--target", "17"])
    assert result.exit_code == 2 and "--headcount" in result.output


def test_show_prints_the_wir2_plan_with_its_source(runner):
    result = runner.invoke(args=["quotas", "show"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "WIR2.0 (2021)" in out and "31 December 2026" in out
    for line_start, figures in [("All employees", ["15 %", "17 %", "30 %", "13.3 %"]),
                                ("Managers", ["2.8 %", "6 %", "10 % / 20 % / 30 %"]),
                                ("Medium level", ["12.3 %", "16 %", "30 %"]),
                                ("Senior level", ["7.7 %", "9 %", "20 %"]),
                                ("Top level", ["4.2 %", "6 %", "10 %"])]:
        row = next(line for line in out.splitlines() if line.startswith(line_start))
        assert all(figure in row for figure in figures), row
    assert "Sixth group" in out
    assert "Trainees: 30 % of each entering class" in out
    assert "wir2-migration-and-participation-plan.txt" in out and "3753–3788" in out


def test_show_json(runner):
    result = runner.invoke(args=["quotas", "show", "--json"])
    assert result.exit_code == 0, result.output
    plan = json.loads(result.output)
    assert plan["name"] == "WIR2.0 (2021)" and plan["target_date"] == "2026-12-31" and plan["unit"] == "percent"
    groups = {g["key"]: g for g in plan["groups"]}
    assert len(groups) == 6
    assert (groups["all"]["baseline"], groups["all"]["target"], groups["all"]["hires"]) == (15.0, 17.0, 30.0)
    assert groups["all"]["implied_vacancy_ratio"] == pytest.approx(13.333333, abs=1e-5)
    assert [(c["name"], c["rate"]) for c in groups["managers"]["categories"]] == [
        ("office heads", 10.0), ("unit heads", 20.0), ("office managers", 30.0)]
    assert all(g["headcount"] is None and g["vacancies"] is None for g in plan["groups"])
    assert plan["trainees"]["share_of_each_entering_class"] == 30.0
    assert "Measure 3" in plan["source"]["citation"] and plan["source"]["file"].endswith(".txt")
