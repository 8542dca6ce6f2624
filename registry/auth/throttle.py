"""Growing delays after failed logins, per submitted username.

Keyed by the name as typed (folded), never by the account: an unknown name is delayed
exactly like a known one, so the answers tell nothing about which accounts exist, and no
account is ever locked; at worst its name waits ``max_seconds`` between attempts.
The counters live in the rate limiter's storage (``RATELIMIT_STORAGE_URI``), shared by
every worker when that is a shared store.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from limits.storage import Storage

log = logging.getLogger(__name__)


def now() -> float:
    return time.time()


@dataclass(frozen=True)
class BackoffPolicy:
    free_failures: int = 5
    base_seconds: int = 5
    max_seconds: int = 15 * 60
    reset_seconds: int = 24 * 3600

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> BackoffPolicy:
        return cls(
            free_failures=config["LOGIN_BACKOFF_FREE_FAILURES"],
            base_seconds=config["LOGIN_BACKOFF_BASE_SECONDS"],
            max_seconds=config["LOGIN_BACKOFF_MAX_SECONDS"],
            reset_seconds=config["LOGIN_BACKOFF_RESET_SECONDS"],
        )

    def delay(self, failures: int) -> int:
        """Seconds to wait after the ``failures``-th failure: 0 while free, then doubling."""
        extra = failures - self.free_failures
        if extra <= 0:
            return 0
        return min(self.max_seconds, self.base_seconds * 2 ** min(extra - 1, 32))


def _key(kind: str, username: str) -> str:
    digest = hashlib.sha256(username.strip().lower().encode()).hexdigest()
    return f"login-backoff/{kind}/{digest}"


class LoginBackoff:
    def __init__(self, storage: Storage, policy: BackoffPolicy) -> None:
        self.storage = storage
        self.policy = policy

    def wait(self, username: str) -> int:
        """Seconds before this name may try again; 0 when it may try now."""
        until = self.storage.get(_key("until", username))
        return max(0, math.ceil(until - now())) if until else 0

    def failed(self, username: str) -> int:
        """Count a failure; returns the delay it imposes on the next attempt."""
        failures = self.storage.incr(_key("failures", username), self.policy.reset_seconds)
        delay = self.policy.delay(failures)
        if delay:
            # The stored value is the time the wait ends; the entry expires with it.
            key = _key("until", username)
            self.storage.clear(key)
            self.storage.incr(key, delay, amount=math.ceil(now()) + delay)
            log.warning(
                "login name %r delayed %d s after %d failed logins", username, delay, failures
            )
        return delay

    def succeeded(self, username: str) -> None:
        self.storage.clear(_key("failures", username))
        self.storage.clear(_key("until", username))
