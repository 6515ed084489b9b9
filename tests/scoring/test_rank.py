"""Tables for scoring.rank: pre-call and post-call scores, tiers, reasons and weights."""

import dataclasses
from datetime import UTC, datetime, timedelta, timezone

import pytest

from scoring import (
    REASON_TEXTS,
    WEIGHTS,
    CallFacts,
    LeadFacts,
    Score,
    post_call_score,
    pre_call_score,
    tier_for,
)
from scoring.rank import HOT_MIN, WARM_MIN, source_kind

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def facts(**overrides):
    values = {
        "has_name": True,
        "has_email": True,
        "has_service": True,
        "source": "facebook",
        "registered_at": NOW - timedelta(minutes=10),
        "verdict": "ok",
        "reasons": (),
    }
    values.update(overrides)
    return LeadFacts(**values)


def call(**overrides):
    values = {"answered": True, "identity_confirmed": True, "interest": None, "steps_completed": 2}
    values.update(overrides)
    return CallFacts(**values)


def codes(score: Score) -> list[str]:
    return [r.code for r in score.reasons]


def assert_consistent(score: Score) -> None:
    total = sum(r.points for r in score.reasons)
    assert score.value == max(0, min(100, total))
    assert score.tier == tier_for(score.value)
    assert score.reasons[0].code == "base"
    for reason in score.reasons:
        assert (reason.text_vi, reason.text_en) == REASON_TEXTS[reason.code]


# Leads of every shape, used to check invariants across the board.
LEADS = [
    facts(),
    facts(registered_at=None, source=None, has_email=False),
    facts(registered_at=NOW - timedelta(days=90), verdict="suspect", reasons=("name_fake", "email_fake")),
    facts(source="referral", registered_at=NOW),
    facts(has_name=False, has_email=False, has_service=False, verdict="suspect", reasons=("name_missing",)),
    facts(verdict="junk", reasons=("phone_invalid",), registered_at=None),
    facts(reasons=("phone_landline",), source="Zalo OA"),
]


@pytest.mark.parametrize(
    ("value", "tier"),
    [
        (0, "cold"),
        (1, "cold"),
        (39, "cold"),
        (40, "warm"),
        (41, "warm"),
        (69, "warm"),
        (70, "hot"),
        (100, "hot"),
    ],
)
def test_tier_thresholds(value, tier):
    assert tier_for(value) == tier


@pytest.mark.parametrize(
    ("age", "code"),
    [
        (timedelta(0), "fresh_1h"),
        (timedelta(minutes=-30), "fresh_1h"),  # small clock skew
        (timedelta(minutes=59), "fresh_1h"),
        (timedelta(hours=1), "fresh_1h"),
        (timedelta(hours=2), "fresh_24h"),
        (timedelta(hours=24), "fresh_24h"),
        (timedelta(days=3), "fresh_7d"),
        (timedelta(days=7), "fresh_7d"),
        (timedelta(days=8), None),
        (timedelta(days=30), None),
        (timedelta(days=31), "stale_30d"),
        (timedelta(days=400), "stale_30d"),
        (timedelta(days=-2), "registered_unknown"),  # a timestamp in the future is broken
        (None, "registered_unknown"),
    ],
)
def test_freshness_reason(age, code):
    score = pre_call_score(facts(registered_at=None if age is None else NOW - age), NOW)
    fresh = [c for c in codes(score) if c.startswith(("fresh", "stale", "registered"))]
    assert fresh == ([code] if code else [])
    assert_consistent(score)


@pytest.mark.parametrize(
    ("fresher", "older"),
    [
        (timedelta(minutes=5), timedelta(hours=3)),
        (timedelta(hours=3), timedelta(days=2)),
        (timedelta(days=2), timedelta(days=10)),
        (timedelta(days=10), timedelta(days=45)),
    ],
)
@pytest.mark.parametrize("lead", LEADS)
def test_fresher_scores_higher(lead, fresher, older):
    new = dataclasses.replace(lead, registered_at=NOW - fresher)
    old = dataclasses.replace(lead, registered_at=NOW - older)
    assert pre_call_score(new, NOW).value > pre_call_score(old, NOW).value


def test_timezones_compare_by_instant():
    hanoi = timezone(timedelta(hours=7))
    score = pre_call_score(facts(registered_at=datetime(2024, 5, 1, 18, 30, tzinfo=hanoi)), NOW)
    assert "fresh_1h" in codes(score)


@pytest.mark.parametrize(
    ("source", "kind"),
    [
        ("referral", "referral"),
        ("Giới thiệu", "referral"),
        ("zalo", "zalo"),
        ("Zalo OA", "zalo"),
        ("web", "web"),
        ("Website", "web"),
        ("landing page", "web"),
        ("facebook", "facebook"),
        ("Facebook Lead Ads", "facebook"),
        ("fb", "facebook"),
        ("google", "google"),
        ("Google Ads", "google"),
        (None, None),
        ("", None),
        ("tiktok", None),
        ("webinar", None),
        ("information", None),
    ],
)
def test_source_kind(source, kind):
    assert source_kind(source) == kind


@pytest.mark.parametrize(
    ("better", "worse"),
    [
        ("referral", "facebook"),
        ("zalo", "google"),
        ("web", "facebook"),
        ("referral", "zalo"),
        ("facebook", None),
        ("google", "tiktok"),
    ],
)
def test_source_order(better, worse):
    assert pre_call_score(facts(source=better), NOW).value > pre_call_score(facts(source=worse), NOW).value


def test_unknown_source_is_neutral():
    assert not [c for c in codes(pre_call_score(facts(source="tiktok"), NOW)) if c.startswith("source")]


@pytest.mark.parametrize("field", ["has_name", "has_email", "has_service"])
def test_completeness_adds_points(field):
    full = pre_call_score(facts(registered_at=NOW - timedelta(days=10)), NOW)
    missing = pre_call_score(facts(registered_at=NOW - timedelta(days=10), **{field: False}), NOW)
    assert full.value - missing.value == WEIGHTS[field]
    assert field in codes(full) and field not in codes(missing)


@pytest.mark.parametrize(
    ("verdict", "reasons", "expected"),
    [
        ("suspect", ("name_fake",), ["verdict_suspect", "name_fake"]),
        ("suspect", ("email_fake", "name_missing"), ["verdict_suspect", "name_missing", "email_fake"]),
        ("suspect", ("email_invalid",), ["verdict_suspect", "email_invalid"]),
        ("ok", ("email_invalid",), ["email_invalid"]),
        ("suspect", ("email_disposable",), ["verdict_suspect", "email_disposable"]),
        ("ok", ("email_typo",), []),  # weight 0: a typo says nothing about interest
        ("ok", ("phone_converted_2018", "phone_multiple", "phone_sci_notation"), []),  # notes, not flags
        ("ok", ("phone_landline",), ["phone_landline"]),
        ("junk", ("phone_invalid",), ["verdict_junk"]),
        ("duplicate", ("duplicate_phone",), ["verdict_duplicate"]),
        ("blocked", ("dnc_listed",), ["verdict_blocked"]),
        ("ok", (), []),
    ],
)
def test_junk_flags_cost_points(verdict, reasons, expected):
    clean = pre_call_score(facts(registered_at=NOW - timedelta(days=10)), NOW)
    flagged = pre_call_score(facts(registered_at=NOW - timedelta(days=10), verdict=verdict, reasons=reasons), NOW)
    flags = [r for r in flagged.reasons if r.code not in codes(clean)]
    assert [r.code for r in flags] == expected
    assert all(r.points < 0 for r in flags)
    assert flagged.value == clean.value + sum(r.points for r in flags)


def test_junk_lead_is_cold():
    assert pre_call_score(facts(verdict="junk", reasons=("phone_missing",)), NOW).tier == "cold"


@pytest.mark.parametrize(
    ("lead", "value", "tier"),
    [
        (facts(), 40 + 20 + 2 + 4 + 4 + 6, "hot"),
        (
            facts(registered_at=None, source=None, has_name=False, has_email=False, has_service=False),
            37,
            "cold",
        ),
        (facts(registered_at=NOW - timedelta(days=3), source="referral"), 40 + 5 + 8 + 14, "warm"),
    ],
)
def test_pre_call_examples(lead, value, tier):
    score = pre_call_score(lead, NOW)
    assert (score.value, score.tier) == (value, tier)


@pytest.mark.parametrize("lead", LEADS)
@pytest.mark.parametrize(
    "call_facts",
    [
        None,
        call(),
        call(interest="yes"),
        call(interest="callback"),
        call(interest="no"),
        call(answered=False, identity_confirmed=None, steps_completed=0),
        call(identity_confirmed=None, steps_completed=0),
        call(identity_confirmed=False, steps_completed=1),
        call(opted_out=True),
        call(wrong_person=True),
        call(interest="yes", answered_by_speech=True),
    ],
)
def test_reasons_sum_to_value(lead, call_facts):
    score = pre_call_score(lead, NOW) if call_facts is None else post_call_score(lead, call_facts, NOW)
    assert_consistent(score)
    assert 0 <= score.value <= 100


@pytest.mark.parametrize(
    ("weights", "value"),
    [
        ({"base": 200}, 100),
        ({"base": -100}, 0),
        ({"base": 95, "fresh_1h": 20}, 100),
    ],
)
def test_value_is_clamped_but_reasons_keep_the_raw_sum(weights, value):
    score = pre_call_score(facts(), NOW, weights=weights)
    assert score.value == value
    assert sum(r.points for r in score.reasons) != value
    assert_consistent(score)


@pytest.mark.parametrize(
    ("weights", "code", "points"),
    [
        ({"base": 50}, "base", 50),
        ({"fresh_1h": 35}, "fresh_1h", 35),
        ({"source_facebook": -5}, "source_facebook", -5),
        ({"has_service": 12}, "has_service", 12),
    ],
)
def test_weights_override(weights, code, points):
    default = pre_call_score(facts(), NOW)
    custom = pre_call_score(facts(), NOW, weights=weights)
    assert next(r.points for r in custom.reasons if r.code == code) == points
    assert custom.value == min(100, default.value - WEIGHTS[code] + points)


def test_a_campaign_can_charge_email_typos():
    score = pre_call_score(facts(reasons=("email_typo",)), NOW, weights={"email_typo": -2})
    assert [(r.code, r.points) for r in score.reasons if r.code == "email_typo"] == [("email_typo", -2)]


def test_zero_weight_drops_the_reason():
    assert "source_facebook" not in codes(pre_call_score(facts(), NOW, weights={"source_facebook": 0}))


def test_override_does_not_mutate_defaults():
    before = dict(WEIGHTS)
    pre_call_score(facts(), NOW, weights={"base": 1})
    assert before == WEIGHTS


def test_unknown_weight_is_rejected():
    with pytest.raises(ValueError, match="fresh_1hr"):
        pre_call_score(facts(), NOW, weights={"fresh_1hr": 10})


@pytest.mark.parametrize(
    ("registered_at", "now"),
    [(datetime(2024, 5, 1, 11), NOW), (NOW, datetime(2024, 5, 1, 12)), (None, datetime(2024, 5, 1, 12))],
)
def test_naive_datetimes_are_rejected(registered_at, now):
    with pytest.raises(ValueError, match="timezone-aware"):
        pre_call_score(facts(registered_at=registered_at), now)


@pytest.mark.parametrize("lead", LEADS)
@pytest.mark.parametrize(("interest", "tier"), [("yes", "hot"), ("callback", "warm"), ("no", "cold")])
def test_interest_fixes_the_tier(lead, interest, tier):
    score = post_call_score(lead, call(interest=interest), NOW)
    assert score.tier == tier
    assert score.reasons[-1].code == f"interest_{interest}"


@pytest.mark.parametrize("lead", LEADS)
@pytest.mark.parametrize("identity", [True, None])
def test_interested_beats_callback_beats_not_interested(lead, identity):
    yes, callback, no = (
        post_call_score(lead, call(identity_confirmed=identity, interest=i), NOW).value
        for i in ("yes", "callback", "no")
    )
    assert yes > callback > no


@pytest.mark.parametrize("lead", LEADS)
def test_interest_yes_with_identity_denied_is_not_forced_hot(lead):
    score = post_call_score(lead, call(identity_confirmed=False, interest="yes"), NOW)
    interest = score.reasons[-1]
    assert (interest.code, interest.points) == ("interest_yes", WEIGHTS["interest_yes"])
    assert "identity_denied" in codes(score)


@pytest.mark.parametrize("lead", LEADS)
@pytest.mark.parametrize(
    ("flags", "code"),
    [
        ({"opted_out": True}, "opted_out"),
        ({"wrong_person": True}, "wrong_person"),
        ({"opted_out": True, "wrong_person": True}, "opted_out"),
    ],
)
@pytest.mark.parametrize("interest", [None, "yes"])
def test_opt_out_and_wrong_person_zero_the_score(lead, flags, code, interest):
    score = post_call_score(lead, call(interest=interest, **flags), NOW)
    assert (score.value, score.tier, score.reasons[-1].code) == (0, "cold", code)
    assert_consistent(score)


@pytest.mark.parametrize(
    ("call_facts", "added", "value"),
    [
        (call(), ["identity_confirmed"], 66),
        (call(identity_confirmed=False, steps_completed=1), ["identity_denied"], 26),
        (call(identity_confirmed=None, steps_completed=0), ["no_steps"], 48),
        (call(identity_confirmed=None, steps_completed=1), [], 56),
        (call(answered=False, identity_confirmed=None, steps_completed=0), ["no_answer"], 51),
        (call(answered_by_speech=True), ["identity_confirmed", "answered_by_speech"], 68),
        (call(interest="yes"), ["identity_confirmed", "interest_yes"], 96),
        (call(interest="callback"), ["identity_confirmed", "interest_callback"], 69),  # capped below hot
        (call(interest="no"), ["identity_confirmed", "interest_no"], 36),
    ],
)
def test_post_call_reasons_follow_pre_call(call_facts, added, value):
    lead = facts(registered_at=NOW - timedelta(days=10))  # pre-call 56: base 40, facebook 2, complete 14
    pre = pre_call_score(lead, NOW)
    post = post_call_score(lead, call_facts, NOW)
    assert pre.value == 56
    assert post.reasons[: len(pre.reasons)] == pre.reasons
    assert codes(post)[len(pre.reasons) :] == added
    assert post.value == value


@pytest.mark.parametrize(
    ("call_facts", "direction"),
    [
        (call(), 1),
        (call(identity_confirmed=False, steps_completed=1), -1),
        (call(identity_confirmed=None, steps_completed=0), -1),
        (call(answered=False, identity_confirmed=None, steps_completed=0), -1),
    ],
)
def test_call_moves_score(call_facts, direction):
    lead = facts(registered_at=NOW - timedelta(days=10))
    delta = post_call_score(lead, call_facts, NOW).value - pre_call_score(lead, NOW).value
    assert delta * direction > 0


def test_post_call_weights_override():
    lead = facts(registered_at=NOW - timedelta(days=10))
    default = post_call_score(lead, call(), NOW)
    custom = post_call_score(lead, call(), NOW, weights={"identity_confirmed": 1})
    assert default.value - custom.value == WEIGHTS["identity_confirmed"] - 1


def test_thresholds_are_the_tier_bounds():
    assert (HOT_MIN, WARM_MIN) == (70, 40)


def test_every_weight_and_outcome_has_texts():
    for code in [*WEIGHTS, "wrong_person", "opted_out"]:
        text_vi, text_en = REASON_TEXTS[code]
        assert text_vi and text_en
