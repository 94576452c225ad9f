"""The house policy is cached per process; a save applies in the saving process at once."""

from __future__ import annotations

import pytest

from compliance.models import HouseSettings
from compliance.services.house import house_policy_cache_clear, house_policy_cached

pytestmark = pytest.mark.django_db


def test_a_saved_house_policy_applies_at_once_in_the_saving_process(
    django_capture_on_commit_callbacks,
):  # type: ignore[no-untyped-def]
    house_policy_cache_clear()
    assert house_policy_cached().max_calls_per_7_days is None  # cached: the law alone
    try:
        with django_capture_on_commit_callbacks(execute=True):
            policy = HouseSettings.objects.create(pk=1, max_calls_per_7_days=3)
        assert house_policy_cached().max_calls_per_7_days == 3
        policy.max_calls_per_7_days = 2
        with django_capture_on_commit_callbacks(execute=True):
            policy.save()
        assert house_policy_cached().max_calls_per_7_days == 2
    finally:
        house_policy_cache_clear()


def test_an_unchanged_policy_is_read_once_within_the_cache_time(django_assert_num_queries):  # type: ignore[no-untyped-def]
    house_policy_cache_clear()
    try:
        with django_assert_num_queries(1):
            for _ in range(5):
                house_policy_cached()
    finally:
        house_policy_cache_clear()
