"""Loading scenarios: the built-in library, strict validation, overrides and inheritance."""

from __future__ import annotations

from pathlib import Path

import pytest

from scenarios import (ScenarioError, builtin_scenarios, load_scenario, scenario_json_schema,
                       validate)

TINY = Path(__file__).resolve().parents[2] / "scenarios" / "builtin" / "tiny.yaml"


@pytest.mark.parametrize("name", sorted(builtin_scenarios()))
def test_every_builtin_scenario_validates(name: str) -> None:
    scenario = load_scenario(name)
    assert scenario.name == name
    assert builtin_scenarios()[name], "every built-in scenario describes itself"


def test_library_has_the_designs_to_compare() -> None:
    designs = {load_scenario(n).exchange.design.kind for n in ("autarky", "integrated", "linked")}
    assert designs == {"autarky", "integrated", "linked"}
    baseline = load_scenario("baseline")
    firms = sum(sum(r.firms.values()) for r in baseline.regions.values())
    assert baseline.calendar.years == 5 and 200 <= firms <= 500
    assert set(baseline.regions) == {"changshou", "guangan"}


def test_override_changes_a_nested_value() -> None:
    scenario = load_scenario("tiny", ["exchange.band=0.3", "calendar.years=3"])
    assert scenario.exchange.band == 0.3
    assert scenario.calendar.years == 3


def test_override_into_a_discriminated_union() -> None:
    scenario = load_scenario("tiny", ["exchange.design={kind: linked, quota_t_per_year: 50}"])
    assert scenario.exchange.design.kind == "linked"
    assert scenario.exchange.design.quota_t_per_year == 50


def test_variant_inherits_from_its_base() -> None:
    linked, baseline = load_scenario("linked"), load_scenario("baseline")
    assert linked.pollutants == baseline.pollutants
    assert linked.regions == baseline.regions
    assert linked.exchange.band == baseline.exchange.band


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "s.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_unknown_key_names_file_and_dotted_path(tmp_path: Path) -> None:
    path = write(tmp_path, TINY.read_text().replace("  band_unused: 1\n", "") +
                 "trading_extra: 1\n")
    with pytest.raises(ScenarioError, match=rf"{path}: trading_extra: Extra inputs"):
        load_scenario(str(path))


def test_negative_cap_names_the_field(tmp_path: Path) -> None:
    path = write(tmp_path, TINY.read_text().replace("cap_share: {COD: 0.85}",
                                                    "cap_share: {COD: -0.5}", 1))
    with pytest.raises(ScenarioError) as err:
        load_scenario(str(path))
    assert "regions.changshou.regulator.cap_share.COD" in str(err.value)
    assert "greater than 0" in str(err.value)
    assert "\n" not in str(err.value)


def test_malformed_yaml_says_where(tmp_path: Path) -> None:
    path = write(tmp_path, "name: x\ncalendar: {years: [1,\n")
    with pytest.raises(ScenarioError, match=r"malformed YAML at line"):
        load_scenario(str(path))


def test_unknown_scenario_name_lists_the_choices() -> None:
    with pytest.raises(ScenarioError, match=r"not a built-in scenario .*baseline"):
        load_scenario("no_such_scenario")


def test_missing_file_is_an_error() -> None:
    with pytest.raises(ScenarioError, match="no such scenario file"):
        load_scenario("/nonexistent/x.yaml")


def test_bad_override_is_an_error() -> None:
    with pytest.raises(ScenarioError, match="dotted.path=value"):
        load_scenario("tiny", ["exchange.band"])
    with pytest.raises(ScenarioError, match="exchange.band: Input should be a valid number"):
        load_scenario("tiny", ["exchange.band=wide"])


def test_cross_field_rules_name_the_field() -> None:
    data = load_scenario("tiny").model_dump(mode="json")
    data["regions"]["guangan"]["firms"] = {"steel": 3}
    with pytest.raises(ScenarioError, match=r"regions.guangan.firms: unknown sector 'steel'"):
        validate(data)


def test_strategy_shares_must_sum_to_one() -> None:
    with pytest.raises(ScenarioError, match="strategies: shares must sum to 1"):
        load_scenario("tiny", ["trading.strategies={truthful: 0.5, zic: 0.2}"])


def test_json_schema_exports_every_section() -> None:
    schema = scenario_json_schema()
    assert {"calendar", "exchange", "pollutants", "regions"} <= set(schema["properties"])
    assert schema["additionalProperties"] is False
