"""The one bounded poll: every wait of the harness ends in time and in count."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_for(
    check: Callable[[], T], *, timeout: float, interval: float = 0.05, what: str = "condition"
) -> T:
    """Call `check` until it returns something truthy and return that; after `timeout`
    seconds raise TimeoutError naming `what`."""
    deadline = time.monotonic() + timeout
    for _ in range(math.ceil(timeout / interval) + 1):
        value = check()
        if value:
            return value
        if time.monotonic() >= deadline:
            break
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout:g} s waiting for {what}")
