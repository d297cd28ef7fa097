import os
import sys

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")


def test_demo_reaches_95_percent(tmp_path):
    sys.path.insert(0, os.path.join(ROOT, "examples"))
    try:
        import demo
    finally:
        sys.path.pop(0)
    assert demo.main(out=str(tmp_path), max_epochs=6, quiet=True) >= 0.95
