"""The pure sampling rules: keyed-hash selection, SIPAS sizing, stratum planning."""
from __future__ import annotations

import hashlib
import hmac

import pytest
from scipy import stats

from survey.services.sampling import rules as sampling


def _reference_u(seed: str, source: str, ext: str) -> float:
    # Written independently from the implementation: hex digest → first 16 hex digits → / 2^64.
    digest = hmac.new(seed.encode(), f"{source}:{ext}".encode(), hashlib.sha256).hexdigest()
    return int(digest[:16], 16) / 2**64


def test_u_is_the_first_8_bytes_of_hmac_sha256_over_2_to_the_64():
    for ext in ("HS-1", "000123", "Hồ sơ số 7"):
        assert sampling.selection_u("seed-A", "motcua", ext) == _reference_u("seed-A", "motcua", ext)


def test_same_seed_gives_the_same_sample_and_another_seed_another():
    ids = [f"HS-{i}" for i in range(5000)]
    pick = lambda seed: {i for i in ids if sampling.is_selected(sampling.selection_u(seed, "src", i), 0.1)}  # noqa: E731
    first, again, other = pick("wave-seed-1"), pick("wave-seed-1"), pick("wave-seed-2")
    assert first == again
    assert first != other
    assert 350 < len(first) < 650


def test_the_source_system_is_part_of_the_key():
    assert sampling.selection_u("s", "a", "1") != sampling.selection_u("s", "b", "1")


def test_pi_zero_selects_no_one_and_pi_one_everyone():
    us = [sampling.selection_u("s", "src", str(i)) for i in range(2000)]
    assert all(0.0 <= u < 1.0 for u in us)
    assert not any(sampling.is_selected(u, 0.0) for u in us)
    assert all(sampling.is_selected(u, 1.0) for u in us)


def test_u_is_uniform_on_100000_synthetic_ids():
    us = [sampling.selection_u("uniformity", "src", f"D{i:06d}") for i in range(100_000)]
    assert stats.kstest(us, "uniform").pvalue > 0.001


@pytest.mark.parametrize("seed", ["2025-Q1", "another seed"])
def test_realised_rate_of_each_stratum_is_within_binomial_tolerance_of_pi(seed):
    """100,000 synthetic dossiers over five strata with very different π."""
    strata = {"A": 0.01, "B": 0.05, "C": 0.2, "D": 0.5, "E": 0.93}
    sizes = dict.fromkeys(strata, 0)
    picked = dict.fromkeys(strata, 0)
    keys = list(strata)
    for i in range(100_000):
        h = keys[i % len(keys)]
        sizes[h] += 1
        picked[h] += sampling.is_selected(sampling.selection_u(seed, "src", f"HS{i:07d}"), strata[h])
    for h, pi in strata.items():
        n = sizes[h]
        # 4 binomial standard deviations: a false alarm has probability ~6e-5 per stratum.
        assert abs(picked[h] - n * pi) <= sampling.binomial_tolerance(n, pi), (h, picked[h], n * pi)


def test_sipas_sample_size_follows_n_equals_N_over_1_plus_N_e_squared():
    assert sampling.sipas_sample_size(1000, 0.05) == 286   # 1000 / 3.5 = 285.71 → 286
    assert sampling.sipas_sample_size(100, 0.05) == 80     # 100 / 1.25 = 80 exactly
    assert sampling.sipas_sample_size(400, 0.1) == 80      # 400 / 5 = 80
    assert sampling.sipas_sample_size(1, 0.05) == 1
    assert sampling.sipas_sample_size(0, 0.05) == 0
    assert sampling.sipas_sample_size(10**7, 0.05) == 400  # the familiar ceiling 1/e²
    with pytest.raises(ValueError):
        sampling.sipas_sample_size(10, 0)


def test_target_plan_inflates_by_the_response_rate_and_caps_pi_at_one():
    plan = sampling.plan_stratum(1000, margin=0.05, response_rate=0.4, min_responses=30)
    assert plan.target_responses == 286 and plan.rule == "sipas"
    assert plan.pi == pytest.approx(286 / 0.4 / 1000)
    assert plan.expected_responses == pytest.approx(286)
    small = sampling.plan_stratum(50, margin=0.05, response_rate=0.3, min_responses=30)
    assert small.pi == 1.0


def test_minimum_per_stratum_and_explicit_target():
    plan = sampling.plan_stratum(10_000, margin=0.2, response_rate=1.0, min_responses=100)
    assert plan.target_responses == 100   # SIPAS would give 25
    assert plan.pi == pytest.approx(0.01)
    target = sampling.plan_stratum(2000, target_n=50, response_rate=0.5)
    assert target.rule == "target_n" and target.pi == pytest.approx(0.05)


def test_fixed_pi_and_a_stratum_without_history():
    assert sampling.plan_stratum(123, fixed_pi=0.2).pi == 0.2
    census = sampling.plan_stratum(0)
    assert census.pi == 1.0 and census.rule == "census_no_history"
    with pytest.raises(ValueError):
        sampling.plan_stratum(10, fixed_pi=1.5)
    with pytest.raises(ValueError):
        sampling.plan_stratum(10, response_rate=0)


def test_stratum_keys_per_scheme():
    assert sampling.stratum_key("agency_sector", "AG1", "land") == "AG1|land"
    assert sampling.stratum_key("agency", "AG1", "land") == "AG1|*"
    assert sampling.stratum_key("sector", "AG1", "land") == "*|land"
    with pytest.raises(ValueError):
        sampling.stratum_key("service_point", "AG1", "land")
