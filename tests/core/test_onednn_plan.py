"""ember._onednn.plan.Cache: plans built once per key, failures remembered, oldest dropped."""
import threading

from ember._onednn import library
from ember._onednn.plan import Cache


def test_builds_once_remembers_failures_and_drops_the_oldest():
    cache, built = Cache(2), []

    def build(value):
        def make():
            built.append(value)
            if value is None:
                raise library.OneDNNError("no implementation")
            return value
        return make

    assert cache.get("a", build("plan a")) == "plan a"
    assert cache.get("a", build("other")) == "plan a"
    assert cache.get("b", build(None)) is None
    assert cache.get("b", build("late")) is None  # the failure is not retried
    assert built == ["plan a", None]
    cache.get("c", build("plan c"))
    assert len(cache) == 2
    assert cache.get("a", build("rebuilt")) == "rebuilt"  # "a" was the oldest


def test_threads_share_one_cache():
    cache = Cache(8)
    errors = []

    def work(offset):
        try:
            for i in range(200):
                key = (offset + i) % 20
                assert cache.get(key, lambda key=key: key * 10) == key * 10
        except Exception as exc:  # surfaced below: a thread's assertion does not fail the test
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(cache) <= 8
