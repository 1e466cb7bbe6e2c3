"""Admission by memory (``neural_style.admission``): work in flight never needs more than
the budget, work too large alone is refused, waiters are served in turn, a long wait ends
in 'busy'."""

import asyncio
import subprocess
import sys

import pytest

from neural_style import admission
from neural_style.restapi import RestError


def run(coro):
    return asyncio.run(coro)


def test_the_work_in_flight_never_needs_more_than_the_budget():
    budget, peak, done = admission.Budget(10), [], []

    async def work(k, n):
        async with budget.hold(n):
            peak.append(budget.held)
            await asyncio.sleep(0.01)
            done.append(k)

    async def main():
        await asyncio.gather(*(work(k, n) for k, n in enumerate([4, 4, 4, 6, 3, 7, 1, 10])))

    run(main())
    # shared, not one at a time
    assert sorted(done) == list(range(8)) and max(peak) <= 10 and max(peak) >= 8
    assert budget.held == 0


def test_work_larger_than_the_budget_is_refused_at_once_and_a_long_wait_is_busy():
    budget = admission.Budget(10, wait_s=0.2)

    async def main():
        with pytest.raises(RestError, match="over this server's memory budget") as big:
            async with budget.hold(11):
                pass
        async with budget.hold(8):
            with pytest.raises(RestError, match="busy") as busy:
                async with budget.hold(5):
                    pass
        return big.value.status, busy.value.status

    assert run(main()) == (413, 503)
    assert budget.held == 0


def test_a_large_request_is_not_passed_over_by_small_ones():
    budget, order = admission.Budget(10), []

    async def work(name, n, start, seconds):
        await asyncio.sleep(start)
        async with budget.hold(n):
            order.append(name)
            await asyncio.sleep(seconds)

    async def main():
        await asyncio.gather(
            work("first", 6, 0, 0.1), work("large", 8, 0.01, 0.01), work("small", 2, 0.02, 0.01)
        )

    run(main())
    # "small" fits beside "first" but came after "large"
    assert order == ["first", "large", "small"]


MEASURE = """
import resource, sys
import numpy as np
from neural_style import admission, inference
name, side = sys.argv[1], int(sys.argv[2])
net = inference.load(name)
net.apply(np.zeros((64, 64, 3), np.uint8))  # the framework's own memory, before the peak
# a high-water mark: one network a process
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
net.apply(np.random.default_rng(0).integers(0, 256, (side, side, 3), dtype=np.uint8))
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(name, (after - before) / side**2, admission.bytes_per_pixel(net))
"""


@pytest.mark.parametrize("name, side", [("starry_night", 768), ("superres", 192)])
def test_bytes_per_pixel_bound_the_measured_peak_of_each_served_kind(name, side):
    out = subprocess.run(
        [sys.executable, "-c", MEASURE, name, str(side)], capture_output=True, text=True, check=True
    ).stdout
    _, measured, estimate = out.split()
    # The budget counts on the estimate: it must not be under the peak resident memory a
    # request adds, nor so far over it that the server turns away work it could do.
    assert float(estimate) / 3 < float(measured) <= float(estimate), out
