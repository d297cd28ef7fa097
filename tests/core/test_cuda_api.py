"""ember.cuda's API: what works without a GPU, and (on a GPU) memory, streams, events, seeds."""
import pytest

import ember

gpu = pytest.mark.skipif(not ember.cuda.is_available(), reason="needs a CUDA device")
no_gpu = pytest.mark.skipif(ember.cuda.is_available(), reason="checks the CPU-only behaviour")


@no_gpu
def test_without_cuda():
    assert ember.cuda.device_count() == 0 and not ember.cuda.is_bf16_supported()
    ember.cuda.synchronize()  # no-ops without a GPU, as in PyTorch
    ember.cuda.empty_cache()
    ember.cuda.manual_seed(3)
    ember.cuda.manual_seed_all(3)
    for fn in (ember.cuda.current_device, ember.cuda.memory_allocated, ember.cuda.Stream,
               ember.cuda.Event, ember.cuda.get_device_name):
        with pytest.raises(RuntimeError, match="CUDA"):
            fn()


@gpu
def test_device_queries():
    n = ember.cuda.device_count()
    assert n >= 1 and 0 <= ember.cuda.current_device() < n
    ember.cuda.set_device(0)
    assert ember.cuda.current_device() == 0
    with ember.cuda.device("cuda:0"):
        assert ember.cuda.current_device() == 0
    props = ember.cuda.get_device_properties(0)
    assert props.total_memory > 2 ** 30 and props.major >= 3
    assert isinstance(ember.cuda.get_device_name(), str) and ember.cuda.get_device_name()
    assert ember.cuda.is_bf16_supported() == (props.major >= 8)
    with pytest.raises(ValueError, match="CUDA device"):
        ember.cuda.memory_allocated("cpu")


@gpu
def test_memory_statistics():
    ember.cuda.synchronize()
    ember.cuda.reset_peak_memory_stats()
    base = ember.cuda.memory_allocated()
    x = ember.empty(64, 1024, 1024, device="cuda")  # 256 MiB
    assert ember.cuda.memory_allocated() >= base + x.numel() * 4
    assert ember.cuda.max_memory_allocated() >= base + x.numel() * 4
    assert ember.cuda.memory_reserved() >= ember.cuda.memory_allocated()
    del x
    assert ember.cuda.memory_allocated() <= base
    assert ember.cuda.max_memory_allocated() >= base + 64 * 2 ** 22
    ember.cuda.empty_cache()
    assert ember.cuda.memory_reserved() < base + 64 * 2 ** 22


@gpu
def test_streams_and_events():
    s = ember.cuda.Stream()
    start, end = ember.cuda.Event(enable_timing=True), ember.cuda.Event(enable_timing=True)
    with ember.cuda.stream(s):
        assert ember.cuda.current_stream() == s
        start.record()
        y = ember.ones(2048, 2048, device="cuda") @ ember.ones(2048, 2048, device="cuda")
        end.record()
    assert ember.cuda.current_stream() != s
    end.synchronize()
    assert end.query() and s.query() in (True, False)
    assert end.elapsed_time(end) == 0.0 and start.elapsed_time(end) > 0.0
    s.synchronize()
    assert y[0, 0].item() == 2048.0
    ember.cuda.current_stream().wait_stream(s)
    ember.cuda.synchronize()


@gpu
def test_manual_seed_reproduces_cuda_draws():
    ember.cuda.manual_seed(7)
    a = ember.randn(5, device="cuda")
    ember.cuda.manual_seed_all(7)
    b = ember.randn(5, device="cuda")
    assert a.tolist() == b.tolist()
