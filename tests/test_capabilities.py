"""Tests for corral.capabilities: method patterns, constraints, capabilities."""

from __future__ import annotations

import doctest
import pickle
import threading
import time

import pytest

import corral.capabilities as capabilities_module
from corral.capabilities import (
    MISSING,
    CallLimitExceeded,
    Capabilities,
    CapabilityError,
    Constraint,
    ConstraintSet,
    ConstraintViolation,
    MethodCapability,
    MethodNotAllowed,
    Param,
    method_matches,
    parse_constraint,
    parse_constraints,
    pattern_is_subset,
)


def violation(constraint: Constraint | ConstraintSet, params: dict) -> ConstraintViolation:
    with pytest.raises(ConstraintViolation) as info:
        constraint.evaluate(params)
    return info.value


# ---------------------------------------------------------------- method patterns


@pytest.mark.parametrize(
    ("method", "pattern", "expected"),
    [
        ("stripe/charges/create", "stripe/charges/create", True),
        ("stripe/charges/create", "stripe/charges/refund", False),
        ("stripe/charges/create", "stripe/*/create", True),
        ("stripe/charges/create", "stripe/*", False),
        ("stripe", "stripe/*", False),
        ("stripe/charges", "*", False),
        ("stripe", "*", True),
    ],
)
def test_single_star_matches_exactly_one_segment(method: str, pattern: str, expected: bool) -> None:
    assert method_matches(method, pattern) is expected


@pytest.mark.parametrize(
    ("method", "pattern", "expected"),
    [
        ("stripe", "stripe/**", True),
        ("stripe/charges/create", "stripe/**", True),
        ("stripe/charges/create", "**", True),
        ("stripe/charges/create", "**/create", True),
        ("create", "**/create", True),
        ("a/b/c/d", "a/**/d", True),
        ("a/d", "a/**/d", True),
        ("a/b/c/e", "a/**/d", False),
        ("github/issues", "stripe/**", False),
    ],
)
def test_double_star_matches_zero_or_more_segments(
    method: str, pattern: str, expected: bool
) -> None:
    assert method_matches(method, pattern) is expected


def test_glob_inside_a_segment() -> None:
    assert method_matches("weather/get_weather", "weather/get_*")
    assert method_matches("weather/get_", "weather/get_*")
    assert method_matches("db/read_users_v2", "db/read_*_v*")
    assert not method_matches("weather/set_weather", "weather/get_*")
    # an in-segment star never crosses a '/'
    assert not method_matches("weather/get_x/y", "weather/get_*")
    # only '*' is special: '?' and '[' are literal
    assert not method_matches("a/x", "a/?")
    assert method_matches("a/[x]", "a/[x]")
    assert not method_matches("a/x", "a/[x]")


@pytest.mark.parametrize(
    ("method", "pattern"),
    [
        ("", "**"),
        ("a", ""),
        ("a//b", "**"),
        ("a/", "a/*"),
        ("/a", "**"),
        (None, "**"),
        ("a", None),
    ],
)
def test_empty_or_malformed_names_never_match(method: object, pattern: object) -> None:
    assert method_matches(method, pattern) is False  # type: ignore[arg-type]


def test_hostile_inputs_match_quickly() -> None:
    long_method = "/".join(["a"] * 1000)
    start = time.perf_counter()
    assert not method_matches(long_method, "**/**/**/**/x")
    assert method_matches(long_method + "/x", "**/**/**/**/x")
    assert not method_matches("a" * 100_000, "*a*a*a*a*a*a*a*b")
    assert time.perf_counter() - start < 1.0


@pytest.mark.parametrize(
    ("child", "parent", "expected"),
    [
        ("stripe/charges/create", "stripe/charges/create", True),
        ("stripe/charges/create", "stripe/**", True),
        ("stripe/charges/*", "stripe/**", True),
        ("stripe/**", "stripe/**", True),
        ("stripe/charges/*", "stripe/*/*", True),
        ("weather/get_*", "weather/*", True),
        ("weather/get_now_*", "weather/get_*", True),
        ("a/**/b", "a/**", True),
        ("a/b", "**/b", True),
        ("stripe/**", "stripe/charges/*", False),
        ("stripe/*", "stripe/charges", False),
        ("weather/*", "weather/get_*", False),
        ("**", "a/**", False),
        ("a/b/c", "a/*", False),
        ("a//b", "**", False),
    ],
)
def test_pattern_is_subset(child: str, parent: str, expected: bool) -> None:
    assert pattern_is_subset(child, parent) is expected


# --------------------------------------------------------------------- operators


@pytest.mark.parametrize(
    ("constraint", "good", "bad"),
    [
        (Param("n") < 10, 9, 10),
        (Param("n") <= 10, 10, 11),
        (Param("n") > 10, 11, 10),
        (Param("n") >= 10, 10, 9.5),
        (Param("n") == 10, 10.0, 11),
        (Param("n") != 10, 11, 10),
        (Param("n").is_in(["USD", "EUR"]), "EUR", "GBP"),
        (Param("n").not_in(["KP", "IR"]), "US", "KP"),
        (Param("n").starts_with("sk_"), "sk_live", "pk_live"),
        (Param("n").ends_with(".com"), "a.com", "a.org"),
        (Param("n").contains("@"), "a@b", "ab"),
        (Param("n").contains("x"), ["x", "y"], ["y"]),
        (Param("n").matches(r"[a-z]+"), "abc", "abc1"),
        (Param("n") < "m", "apple", "zebra"),
    ],
    ids=lambda value: value.op if isinstance(value, Constraint) else None,
)
def test_each_operator_passes_and_fails(constraint: Constraint, good: object, bad: object) -> None:
    constraint.evaluate({"n": good})
    err = violation(constraint, {"n": bad})
    assert err.param == "n"
    assert err.actual == bad
    assert not err.type_mismatch


def test_exists_and_not_exists() -> None:
    Param("token").exists().evaluate({"token": None})
    assert violation(Param("token").exists(), {}).message == "token is missing"
    Param("debug").not_exists().evaluate({})
    err = violation(Param("debug").not_exists(), {"debug": True})
    assert str(err) == "debug must not be present (got True)"


def test_violation_message_and_attributes() -> None:
    err = violation(Param("amount") <= 10000, {"amount": 20000})
    assert str(err) == "amount must be <= 10000 (got 20000)"
    assert (err.param, err.rule, err.actual) == ("amount", "<= 10000", 20000)
    assert isinstance(err, CapabilityError)
    assert isinstance(err, Exception)


def test_regex_uses_fullmatch() -> None:
    c = Param("id").matches(r"\d+")
    c.evaluate({"id": "123"})
    assert str(violation(c, {"id": "12a"})) == r"id must match regex '\\d+' (got '12a')"
    with pytest.raises(ConstraintViolation):
        c.evaluate({"id": "x123"})


def test_bad_regex_raises_value_error_naming_the_pattern() -> None:
    with pytest.raises(ValueError, match=r"invalid regex '\(unclosed'"):
        Param("x").matches("(unclosed")


def test_bool_is_not_a_number() -> None:
    err = violation(Param("amount") <= 10, {"amount": True})
    assert str(err) == "amount must be a number (got bool)"
    assert err.type_mismatch
    violation(Param("n") == 1, {"n": True})
    violation(Param("flag") == True, {"flag": 1})  # noqa: E712
    (Param("flag") == True).evaluate({"flag": True})  # noqa: E712


def test_in_and_not_in_keep_bool_and_int_apart() -> None:
    violation(Param("n").is_in([1, 2]), {"n": True})
    Param("n").is_in([1, 2]).evaluate({"n": 1.0})
    Param("n").not_in([True]).evaluate({"n": False})
    err = violation(Param("n").not_in([True]), {"n": 1})
    assert err.type_mismatch


def test_type_mismatch_messages() -> None:
    assert str(violation(Param("name") == "bob", {"name": 5})) == "name must be a string (got int)"
    assert str(violation(Param("name").starts_with("b"), {"name": None})) == (
        "name must be a string (got None)"
    )
    assert str(violation(Param("tags").contains(3), {"tags": "abc"})) == (
        "tags must be a list (got str)"
    )
    # mismatched types fail closed even for negative operators
    violation(Param("currency") != "USD", {"currency": 5})
    violation(Param("country").not_in(["KP"]), {"country": 7})


def test_missing_param_fails_every_op_except_not_exists() -> None:
    leaf_ops = [
        Param("p") < 1,
        Param("p") <= 1,
        Param("p") > 1,
        Param("p") >= 1,
        Param("p") == 1,
        Param("p") != 1,
        Param("p").is_in([1]),
        Param("p").not_in([1]),
        Param("p").starts_with("a"),
        Param("p").ends_with("a"),
        Param("p").contains("a"),
        Param("p").matches("a"),
        Param("p").exists(),
    ]
    for constraint in leaf_ops:
        err = violation(constraint, {"other": 1})
        assert str(err) == "p is missing"
        assert err.actual is MISSING
    Param("p").not_exists().evaluate({"other": 1})


def test_nested_paths_and_list_indexes() -> None:
    params = {
        "customer": {"address": {"country": "US"}},
        "items": [{"price": 5}, {"price": 50}],
    }
    (Param("customer/address/country") == "US").evaluate(params)
    (Param("/customer/address/country") == "US").evaluate(params)
    (Param("items/1/price") > 10).evaluate(params)
    assert str(violation(Param("items/0/price") > 10, params)) == (
        "items/0/price must be > 10 (got 5)"
    )
    for path in ("items/2/price", "items/-1/price", "items/01/price", "items/x/price"):
        assert violation(Param(path).exists(), params).actual is MISSING
    violation(Param("customer/address/country/x").exists(), params)


@pytest.mark.parametrize("path", ["", "/", "a//b", "a/"])
def test_invalid_param_paths_are_rejected(path: str) -> None:
    with pytest.raises(ValueError):
        Param(path)


def test_in_requires_a_list_not_a_string() -> None:
    with pytest.raises(ValueError, match="'in' needs a list"):
        Param("currency").is_in("USD")


def test_operands_are_validated() -> None:
    with pytest.raises(ValueError, match="needs a number or a string"):
        Param("n") <= True  # noqa: B015
    with pytest.raises(ValueError, match="needs a string"):
        Param("n").starts_with(5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown constraint operator 'lte'"):
        Constraint("lte", "n", 1)


def test_strings_compare_lexically_and_never_with_numbers() -> None:
    (Param("day") >= "2024-01-01").evaluate({"day": "2024-06-30"})
    violation(Param("day") >= "2024-01-01", {"day": "2023-12-31"})
    err = violation(Param("day") >= "2024-01-01", {"day": 20240101})
    assert str(err) == "day must be a string (got int)"
    err = violation(Param("amount") <= 10, {"amount": "5"})
    assert str(err) == "amount must be a number (got str)"


def test_contains_on_lists_is_type_strict() -> None:
    (Param("ids").contains(1)).evaluate({"ids": [3, 1.0]})
    violation(Param("ids").contains(1), {"ids": [True, "1"]})


def test_empty_in_list_allows_nothing_and_empty_not_in_allows_everything() -> None:
    violation(Param("x").is_in([]), {"x": "a"})
    Param("x").not_in([]).evaluate({"x": "a"})
    violation(Param("x").not_in([]), {})


def test_long_values_are_truncated_in_messages() -> None:
    err = violation(Param("s").starts_with("a"), {"s": "b" * 10_000})
    assert len(str(err)) < 200
    assert err.actual == "b" * 10_000


# -------------------------------------------------------------------- composition


def test_and_composition() -> None:
    c = (Param("amount") > 0) & (Param("amount") <= 100)
    assert c.op == "and"
    c.evaluate({"amount": 50})
    assert str(violation(c, {"amount": 500})) == "amount must be <= 100 (got 500)"
    assert str(violation(c, {"amount": 0})) == "amount must be > 0 (got 0)"


def test_or_composition() -> None:
    c = (Param("currency") == "USD") | (Param("currency") == "EUR")
    c.evaluate({"currency": "EUR"})
    err = violation(c, {"currency": "GBP"})
    assert err.param == "currency"
    assert "currency must be == 'USD' (got 'GBP')" in str(err)
    assert "currency must be == 'EUR' (got 'GBP')" in str(err)


def test_or_allows_optional_parameters() -> None:
    c = Param("limit").not_exists() | (Param("limit") <= 100)
    c.evaluate({})
    c.evaluate({"limit": 10})
    violation(c, {"limit": 1000})


def test_not_composition() -> None:
    c = ~(Param("country") == "KP")
    c.evaluate({"country": "US"})
    c.evaluate({})
    err = violation(c, {"country": "KP"})
    assert err.rule == "not (country == 'KP')"
    assert ~c == (Param("country") == "KP")


def test_not_does_not_turn_a_type_mismatch_into_a_pass() -> None:
    c = ~(Param("amount") > 1000)
    c.evaluate({"amount": 5})
    err = violation(c, {"amount": "9999999"})
    assert err.type_mismatch


def test_constraints_have_no_truth_value() -> None:
    with pytest.raises(TypeError, match="'&'"):
        bool(Param("a") <= 5)
    with pytest.raises(TypeError):
        0 <= Param("a") <= 5  # noqa: B015


def test_param_is_unhashable_and_constraint_equality_is_type_strict() -> None:
    with pytest.raises(TypeError):
        hash(Param("a"))
    assert (Param("a") == 1) == Constraint("eq", "a", 1)
    assert (Param("a") == 1) != (Param("a") == True)  # noqa: E712
    assert hash(Param("/a") <= 5) == hash(Param("a") <= 5)


def test_nesting_depth_is_capped() -> None:
    spec: object = "<=5"
    for _ in range(100):
        spec = {"not": spec}
    with pytest.raises(ValueError, match="nesting"):
        parse_constraint("a", spec)


# ----------------------------------------------------------------------- parsing


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("<=10000", Param("amount") <= 10000),
        (">= 1", Param("amount") >= 1),
        ("<5", Param("amount") < 5),
        (">5", Param("amount") > 5),
        ("> 2.5", Param("amount") > 2.5),
        ("==USD", Param("amount") == "USD"),
        ('=="10"', Param("amount") == "10"),
        ("=='x y'", Param("amount") == "x y"),
        ("!=x", Param("amount") != "x"),
        ("<= abc", Param("amount") <= "abc"),
        ("USD", Param("amount") == "USD"),
        (42, Param("amount") == 42),
        (1.5, Param("amount") == 1.5),
        (True, Param("amount") == True),  # noqa: E712
        (["USD", "EUR"], Param("amount").is_in(["USD", "EUR"])),
        ({"lt": 3}, Param("amount") < 3),
        ({"le": 3}, Param("amount") <= 3),
        ({"gt": 3}, Param("amount") > 3),
        ({"ge": 3}, Param("amount") >= 3),
        ({"eq": None}, Param("amount") == None),  # noqa: E711
        ({"ne": "x"}, Param("amount") != "x"),
        ({"in": [1, 2]}, Param("amount").is_in([1, 2])),
        ({"not_in": [1, 2]}, Param("amount").not_in([1, 2])),
        ({"starts_with": "a"}, Param("amount").starts_with("a")),
        ({"ends_with": "a"}, Param("amount").ends_with("a")),
        ({"contains": "a"}, Param("amount").contains("a")),
        ({"regex": "^a+$"}, Param("amount").matches("^a+$")),
        ({"exists": True}, Param("amount").exists()),
        ({"not_exists": True}, Param("amount").not_exists()),
        ({"all": [">0", "<=10"]}, (Param("amount") > 0) & (Param("amount") <= 10)),
        ({"any": [1, 2]}, (Param("amount") == 1) | (Param("amount") == 2)),
        ({"not": ["KP"]}, ~Param("amount").is_in(["KP"])),
    ],
)
def test_parse_constraint_accepted_forms(spec: object, expected: Constraint) -> None:
    assert parse_constraint("amount", spec) == expected


def test_parse_constraint_string_operands_are_typed() -> None:
    assert parse_constraint("a", "<=10").value == 10
    assert type(parse_constraint("a", "<=10").value) is int
    assert type(parse_constraint("a", "<=1e3").value) is float
    assert parse_constraint("a", '=="10"').value == "10"


def test_parse_constraint_param_override_in_nested_specs() -> None:
    c = parse_constraint("", {"any": [{"param": "a", "eq": 1}, {"param": "b", "le": 2}]})
    assert c == (Param("a") == 1) | (Param("b") <= 2)
    c.evaluate({"a": 0, "b": 1})


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"lte": 5}, "constraint for 'amount': unknown operator 'lte'; expected one of lt, le,"),
        ({}, "constraint for 'amount': empty mapping"),
        ({"le": 1, "ge": 0}, "expected exactly one operator, got 'le', 'ge'"),
        (None, "constraint for 'amount': got null"),
        ({"exists": False}, "'exists' takes true"),
        ({"not_exists": "yes"}, "'not_exists' takes true"),
        ("=5", "did you mean '=='"),
        ("<=", "missing value after '<='"),
        ({"in": "USD"}, "'in' needs a list"),
        ({"in": [[1]]}, "'in' list items must be"),
        ({"le": [1]}, "'le' needs a number or a string"),
        ({"regex": "("}, "invalid regex '('"),
        ({"all": []}, "'all' needs a non-empty list"),
        ({"any": "x"}, "'any' needs a non-empty list"),
        ({"not": {"lte": 1}}, "unknown operator 'lte'"),
        ({"eq": {"a": 1}}, "'eq' needs a string, number, boolean or null"),
        (object(), "constraint for 'amount': unsupported spec"),
    ],
)
def test_parse_constraint_rejects_malformed_specs(spec: object, message: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_constraint("amount", spec)
    assert message in str(info.value)


def test_parse_constraint_needs_a_param_for_leaf_specs() -> None:
    with pytest.raises(ValueError, match="needs a parameter path"):
        parse_constraint("", {"le": 5})
    with pytest.raises(ValueError, match="empty segment"):
        parse_constraint("a//b", 5)


def test_parse_constraints_mapping_and_list() -> None:
    cs = parse_constraints({"amount": "<=100", "currency": ["USD"]})
    assert isinstance(cs, ConstraintSet)
    assert cs == [Param("amount") <= 100, Param("currency").is_in(["USD"])]
    assert parse_constraints([{"param": "a", "gt": 1}]) == [Param("a") > 1]
    assert parse_constraints(None) == []
    with pytest.raises(ValueError, match="constraints must be a mapping"):
        parse_constraints("amount<=5")  # type: ignore[arg-type]


ROUND_TRIP = [
    Param("a") < 1,
    Param("a") <= 1.5,
    Param("a") > "m",
    Param("a") >= 0,
    Param("a") == None,  # noqa: E711
    Param("a") == True,  # noqa: E712
    Param("a") != "x",
    Param("a").is_in(["x", 1, False]),
    Param("a").not_in([1, 2]),
    Param("a").starts_with("s"),
    Param("a").ends_with("e"),
    Param("a").contains("c"),
    Param("a/b/0").matches(r"\d+"),
    Param("a").exists(),
    Param("a").not_exists(),
    (Param("a") > 0) & (Param("a") < 9),
    (Param("a") == 1) | ~(Param("b") == 2),
    ~((Param("a") == 1) & (Param("b") == 2)),
    ((Param("a") > 0) | (Param("a") < -5)) & (Param("b") == 1),
]


@pytest.mark.parametrize("constraint", ROUND_TRIP, ids=lambda c: c.describe())
def test_to_dict_round_trips_through_parse_constraint(constraint: Constraint) -> None:
    spec = constraint.to_dict()
    again = parse_constraint(constraint.param, spec)
    assert again == constraint
    assert again.to_dict() == spec


def test_constraint_set_to_spec_round_trips() -> None:
    keyed = ConstraintSet([Param("amount") <= 5, Param("currency") == "USD"])
    assert keyed.to_spec() == {"amount": {"le": 5}, "currency": {"eq": "USD"}}
    listed = ConstraintSet([Param("a") > 0, Param("a") < 9, (Param("a") == 1) | (Param("b") == 1)])
    spec = listed.to_spec()
    assert isinstance(spec, list)
    assert parse_constraints(spec) == listed


# ------------------------------------------------------------------- subsumption


@pytest.mark.parametrize(
    ("parent", "child", "expected"),
    [
        (Param("a") <= 100, Param("a") <= 50, True),
        (Param("a") <= 100, Param("a") < 100, True),
        (Param("a") < 100, Param("a") <= 100, False),
        (Param("a") <= 50, Param("a") <= 100, False),
        (Param("a") >= 1, Param("a") > 1, True),
        (Param("a") > 1, Param("a") >= 1, False),
        (Param("a") <= 100, Param("a") == 7, True),
        (Param("a") <= 100, Param("a") == True, False),  # noqa: E712
        (Param("a") <= 100, Param("a") <= "z", False),
        (Param("a") <= 100, Param("b") <= 50, False),
        (Param("c").is_in(["USD", "EUR"]), Param("c") == "USD", True),
        (Param("c").is_in(["USD", "EUR"]), Param("c").is_in(["EUR"]), True),
        (Param("c").is_in(["USD"]), Param("c").is_in(["USD", "GBP"]), False),
        (Param("c").not_in(["KP"]), Param("c").not_in(["KP", "IR"]), True),
        (Param("c").not_in(["KP", "IR"]), Param("c").not_in(["KP"]), False),
        (Param("c") != "KP", Param("c") == "US", True),
        (Param("s").starts_with("sk_"), Param("s").starts_with("sk_live_"), True),
        (Param("s").starts_with("sk_live_"), Param("s").starts_with("sk_"), False),
        (Param("s").matches("a+"), Param("s") == "aaa", True),
        (Param("s").matches("a+"), Param("s") == "b", False),
        (Param("a").exists(), Param("a") <= 5, True),
        (Param("a").exists(), Param("a").not_exists(), False),
        (Param("a").not_exists() | (Param("a") <= 9), Param("a").not_exists(), True),
        ((Param("a") > 0) & (Param("a") < 10), (Param("a") > 1) & (Param("a") < 5), True),
        ((Param("a") > 0) & (Param("a") < 10), Param("a") > 1, False),
        ((Param("a") == 1) | (Param("a") == 2), Param("a").is_in([1, 2]), True),
        (Param("a") <= 10, (Param("a") == 1) | (Param("a") == 20), False),
        (~(Param("a") == 1), ~(Param("a") == 1), True),
        (~(Param("a") == 1), Param("a") == 2, True),
    ],
)
def test_constraint_subsumes(parent: Constraint, child: Constraint, expected: bool) -> None:
    assert parent.subsumes(child) is expected


def test_constraint_set_subsumes_and_merge() -> None:
    parent = ConstraintSet([Param("amount") <= 100])
    assert parent.subsumes(ConstraintSet([Param("amount") <= 10, Param("currency") == "USD"]))
    assert not parent.subsumes(ConstraintSet([Param("currency") == "USD"]))
    assert not parent.subsumes(ConstraintSet())
    assert ConstraintSet().subsumes(ConstraintSet([Param("x") == 1]))
    merged = parent.merge([Param("amount") <= 100, Param("currency") == "USD"])
    assert merged == [Param("amount") <= 100, Param("currency") == "USD"]
    assert isinstance(merged, ConstraintSet)
    assert parent == [Param("amount") <= 100]
    violation(merged, {"amount": 5})


# ----------------------------------------------------------------- MethodCapability


def test_method_capability_check() -> None:
    cap = MethodCapability("stripe/charges/*", [Param("amount") <= 10000])
    assert cap.matches("stripe/charges/create")
    cap.check("stripe/charges/create", {"amount": 5})
    with pytest.raises(MethodNotAllowed):
        cap.check("stripe/refunds/create", {"amount": 5})
    with pytest.raises(ConstraintViolation) as info:
        cap.check("stripe/charges/create", {"amount": 20000})
    assert str(info.value) == (
        "tool 'stripe/charges/create' refused: amount must be <= 10000 (got 20000)"
    )
    assert info.value.method == "stripe/charges/create"
    with pytest.raises(ConstraintViolation, match="params must be an object"):
        cap.check("stripe/charges/create", ["amount"])  # type: ignore[arg-type]


def test_method_capability_is_subset_of() -> None:
    parent = MethodCapability("stripe/**", [Param("amount") <= 10000], max_calls=10)
    narrow = MethodCapability("stripe/charges/create", [Param("amount") <= 500], max_calls=5)
    assert narrow.is_subset_of(parent)
    assert not MethodCapability("stripe/charges/create", [Param("amount") <= 500]).is_subset_of(
        parent
    )
    assert not MethodCapability("stripe/*", [Param("amount") <= 20000], max_calls=5).is_subset_of(
        parent
    )
    assert not MethodCapability("github/**", [Param("amount") <= 5], max_calls=1).is_subset_of(
        parent
    )
    assert not MethodCapability("stripe/x", [Param("amount") <= 5], max_calls=11).is_subset_of(
        parent
    )
    assert not parent.is_subset_of(narrow)


def test_method_capability_from_dict_and_to_dict() -> None:
    data = {
        "method": "stripe/charges/*",
        "constraints": {"amount": "<=10000", "currency": ["USD", "EUR"]},
        "max_calls": 3,
        "name": "charges",
    }
    cap = MethodCapability.from_dict(data)
    assert cap.method_pattern == "stripe/charges/*"
    assert cap.max_calls == 3
    assert cap.constraints == [Param("amount") <= 10000, Param("currency").is_in(["USD", "EUR"])]
    assert cap.to_dict() == {
        "method": "stripe/charges/*",
        "constraints": {"amount": {"le": 10000}, "currency": {"in": ["USD", "EUR"]}},
        "max_calls": 3,
        "name": "charges",
    }
    assert MethodCapability.from_dict(cap.to_dict()) == cap


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"method": "a/*", "maxcalls": 3, "limits": 1}, "unknown key(s) 'maxcalls', 'limits'"),
        ({"constraints": {}}, "missing required key 'method'"),
        ({"method": "a//b"}, "invalid method pattern"),
        ({"method": ""}, "invalid method pattern"),
        ({"method": "a/*", "max_calls": 0}, "max_calls must be a positive integer (got 0)"),
        ({"method": "a/*", "max_calls": True}, "max_calls must be a positive integer"),
        ({"method": "a/*", "max_calls": "3"}, "max_calls must be a positive integer"),
        ({"method": "a/*", "constraints": {"amount": {"lte": 1}}}, "unknown operator 'lte'"),
    ],
)
def test_method_capability_from_dict_rejects_bad_input(data: dict, message: str) -> None:
    with pytest.raises(ValueError) as info:
        MethodCapability.from_dict(data)
    assert message in str(info.value)


def test_method_capability_accepts_a_single_constraint_or_none() -> None:
    single = MethodCapability("a/*", Param("x") == 1)
    assert single.constraints == [Param("x") == 1]
    assert MethodCapability("a/*").constraints == []
    with pytest.raises(TypeError):
        MethodCapability("a/*", ["x <= 1"])  # type: ignore[list-item]


def test_subset_needs_parent_constraints_to_subsume() -> None:
    parent = MethodCapability("a/**", [Param("x") != "KP"])
    assert MethodCapability("a/b", [Param("x") == "US"]).is_subset_of(parent)
    assert MethodCapability("a/b", [Param("x").starts_with("U")]).is_subset_of(parent)
    assert not MethodCapability("a/b", [Param("x").starts_with("K")]).is_subset_of(parent)
    assert not MethodCapability("a/b").is_subset_of(parent)
    number_parent = MethodCapability("a/**", [Param("x") != 5])
    assert not MethodCapability("a/b", [Param("x").starts_with("U")]).is_subset_of(number_parent)


# -------------------------------------------------------------------- Capabilities


def test_authorize_unknown_method() -> None:
    caps = Capabilities([MethodCapability("stripe/charges/*"), MethodCapability("search/**")])
    with pytest.raises(MethodNotAllowed) as info:
        caps.authorize("email/send", {})
    assert str(info.value) == (
        "no capability allows tool 'email/send'; allowed patterns: stripe/charges/*, search/**"
    )
    assert info.value.method == "email/send"
    assert caps.total_calls == 0


def test_authorize_constraint_violation_is_prefixed_and_not_counted() -> None:
    caps = Capabilities([MethodCapability("stripe/charges/*", [Param("amount") <= 10000])])
    with pytest.raises(ConstraintViolation) as info:
        caps.authorize("stripe/charges/create", {"amount": 20000})
    assert str(info.value) == (
        "tool 'stripe/charges/create' refused: amount must be <= 10000 (got 20000)"
    )
    assert (info.value.param, info.value.rule, info.value.actual) == ("amount", "<= 10000", 20000)
    assert caps.total_calls == 0
    assert caps.calls_made == {"stripe/charges/*": 0}


def test_authorize_picks_first_matching_capability_whose_constraints_pass() -> None:
    small = MethodCapability("pay/*", [Param("amount") <= 10], name="small")
    large = MethodCapability("pay/*", [Param("amount") <= 1000], name="large")
    caps = Capabilities([small, large])
    assert caps.authorize("pay/send", {"amount": 5}) is small
    assert caps.authorize("pay/send", {"amount": 500}) is large
    with pytest.raises(ConstraintViolation) as info:
        caps.authorize("pay/send", {"amount": 5000})
    assert info.value.rule == "<= 10"  # the first matching capability's violation


def test_per_capability_max_calls() -> None:
    caps = Capabilities([MethodCapability("stripe/charges/*", max_calls=3)])
    for _ in range(3):
        caps.authorize("stripe/charges/create", {})
    with pytest.raises(CallLimitExceeded) as info:
        caps.authorize("stripe/charges/create", {})
    assert str(info.value) == (
        "tool 'stripe/charges/create': max_calls 3 for pattern 'stripe/charges/*' reached"
    )
    assert info.value.limit == 3
    assert info.value.pattern == "stripe/charges/*"
    assert caps.calls_made == {"stripe/charges/*": 3}
    assert caps.total_calls == 3


def test_exhausted_capability_falls_through_to_the_next_match() -> None:
    first = MethodCapability("search/*", max_calls=1)
    second = MethodCapability("search/**", max_calls=2)
    caps = Capabilities([first, second])
    assert caps.authorize("search/web") is first
    assert caps.authorize("search/web") is second
    assert caps.authorize("search/web") is second
    with pytest.raises(CallLimitExceeded, match="max_calls 1 for pattern 'search/\\*'"):
        caps.authorize("search/web")
    assert caps.calls_made == {"search/*": 1, "search/**": 2}


def test_total_call_limit() -> None:
    caps = Capabilities([MethodCapability("**")], max_total_calls=2)
    caps.authorize("a")
    caps.authorize("b/c")
    with pytest.raises(CallLimitExceeded) as info:
        caps.authorize("a")
    assert str(info.value) == "total tool call limit 2 reached"
    assert info.value.pattern is None
    assert caps.total_calls == 2


def test_refused_calls_do_not_count() -> None:
    caps = Capabilities(
        [MethodCapability("pay/*", [Param("amount") <= 10], max_calls=2)], max_total_calls=5
    )
    for _ in range(5):
        with pytest.raises(ConstraintViolation):
            caps.authorize("pay/send", {"amount": 99})
        with pytest.raises(MethodNotAllowed):
            caps.authorize("other", {})
    caps.authorize("pay/send", {"amount": 1})
    caps.authorize("pay/send", {"amount": 1})
    assert caps.total_calls == 2
    with pytest.raises(CallLimitExceeded):
        caps.check("pay/send", {"amount": 1})


def test_check_does_not_count_and_reset_counts() -> None:
    caps = Capabilities([MethodCapability("a/*", max_calls=1)])
    caps.check("a/b")
    caps.check("a/b")
    assert caps.total_calls == 0
    caps.authorize("a/b")
    with pytest.raises(CallLimitExceeded):
        caps.authorize("a/b")
    caps.reset_counts()
    assert caps.total_calls == 0
    assert caps.calls_made == {"a/*": 0}
    caps.authorize("a/b")


def test_allow_all_and_from_list() -> None:
    everything = Capabilities.allow_all()
    for method in ("a", "a/b/c", "stripe/charges/create"):
        everything.authorize(method, {"anything": object()})
    assert everything.total_calls == 3
    caps = Capabilities.from_list(
        [{"method": "a/*", "max_calls": 2}, {"method": "b/**", "constraints": {"x": ">0"}}],
        max_total_calls=10,
    )
    assert caps.max_total_calls == 10
    assert [c.method_pattern for c in caps.capabilities] == ["a/*", "b/**"]
    assert Capabilities.from_list(caps.to_list()).to_list() == caps.to_list()
    with pytest.raises(ValueError, match="capability #1: capability: unknown key"):
        Capabilities.from_list([{"method": "a"}, {"method": "b", "oops": 1}])
    with pytest.raises(ValueError, match="max_total_calls must be a positive integer"):
        Capabilities([], max_total_calls=0)


def test_thread_safety_exactly_max_calls_succeed() -> None:
    caps = Capabilities([MethodCapability("tool/*", [Param("n") >= 0], max_calls=500)])
    barrier = threading.Barrier(16)
    successes = [0] * 16
    refusals = [0] * 16

    def worker(index: int) -> None:
        barrier.wait()
        for n in range(100):
            try:
                caps.authorize("tool/run", {"n": n})
            except CallLimitExceeded:
                refusals[index] += 1
            else:
                successes[index] += 1

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(successes) == 500
    assert sum(refusals) == 1100
    assert caps.total_calls == 500
    assert caps.calls_made == {"tool/*": 500}


def test_params_must_be_a_mapping() -> None:
    caps = Capabilities([MethodCapability("a/*")])
    assert caps.authorize("a/b", None).method_pattern == "a/*"
    with pytest.raises(ConstraintViolation, match="params must be an object \\(got list\\)"):
        caps.authorize("a/b", [1, 2])  # type: ignore[arg-type]
    assert caps.total_calls == 1


def test_errors_pickle_with_their_attributes() -> None:
    err = violation(Param("amount") <= 5, {"amount": 9})
    again = pickle.loads(pickle.dumps(err))
    assert type(again) is ConstraintViolation
    assert (str(again), again.param, again.rule, again.actual) == (str(err), "amount", "<= 5", 9)
    assert pickle.loads(pickle.dumps(MISSING)) is MISSING


def test_docstring_examples_run() -> None:
    results = doctest.testmod(capabilities_module)
    assert results.attempted > 20
    assert results.failed == 0
