"""The per-key counter behind the 429s."""

from __future__ import annotations

import time

import pytest

from esgscreen.service.ratelimit import RateLimiter


def test_counts_each_key_alone_and_says_when_to_retry() -> None:
    limiter = RateLimiter("3 per minute")
    assert [limiter.retry_after("key:1") for _ in range(3)] == [None, None, None]
    wait = limiter.retry_after("key:1")
    assert wait is not None and 1 <= wait <= 60
    assert limiter.retry_after("key:2") is None


def test_every_limit_applies_and_windows_move_on() -> None:
    limiter = RateLimiter("2 per second;100 per minute")
    assert limiter.retry_after("a") is None and limiter.retry_after("a") is None
    assert limiter.retry_after("a") == 1
    time.sleep(1.05)
    assert limiter.retry_after("a") is None


def test_no_limit_means_never_limited() -> None:
    limiter = RateLimiter("")
    assert all(limiter.retry_after("a") is None for _ in range(1000))


def test_a_bad_limit_string_fails_at_start() -> None:
    with pytest.raises(ValueError):
        RateLimiter("lots per hour")


def test_a_burst_across_the_clocks_second_is_one_window() -> None:
    limiter = RateLimiter("3 per second")
    time.sleep((0.8 - time.time() % 1) % 1)  # just before a whole second
    assert limiter.retry_after("a") is None and limiter.retry_after("a") is None
    time.sleep(0.3)  # the clock's second has turned; the key's window has not
    assert limiter.retry_after("a") is None
    assert limiter.retry_after("a") == 1


def test_the_verdict_says_what_is_left() -> None:
    limiter = RateLimiter("2 per minute;100 per hour")
    first = limiter.hit("k")
    assert (first.allowed, first.limit, first.remaining, first.window) == (True, 2, 1, 60)
    limiter.hit("k")
    refused = limiter.hit("k")
    assert not refused.allowed and refused.remaining == 0
    assert dict(refused.headers())["Retry-After"] == str(refused.reset)
    assert dict(first.headers())["RateLimit-Policy"] == "2;w=60"
