"""tests/notebooks/nbval-sanitize.cfg is generated from helpers.volatile (by tools/record_notebooks.py): it must not
drift from the patterns, and nbval must read back exactly those patterns."""
import re
from pathlib import Path

from nbval.plugin import get_sanitize_patterns

from helpers import volatile
from tools.record_notebooks import SANITIZE_FILE, sanitize_file_text

ROOT = Path(__file__).resolve().parents[2]


def test_sanitize_file_matches_helpers_volatile():
    assert SANITIZE_FILE == ROOT / "tests" / "notebooks" / "nbval-sanitize.cfg"
    assert SANITIZE_FILE.read_text() == sanitize_file_text(), (
        "tests/notebooks/nbval-sanitize.cfg drifted from helpers.volatile: run `python tools/record_notebooks.py "
        "--sanitize-only` to rewrite it")


def test_nbval_reads_back_every_pattern():
    assert get_sanitize_patterns(SANITIZE_FILE.read_text()) == volatile.PATTERNS


def test_the_file_sanitizes_like_helpers_volatile():
    sample = ("containo-orders-frontend-76f4686cdf-5r28z   2/2   Running   0   12s\n"
              "containo-orders-frontend-76f4686cdf   2   2   2   3m10s   10.244.1.3\n")
    text = sample
    for regex, replace in get_sanitize_patterns(SANITIZE_FILE.read_text()):
        text = re.sub(regex, replace, text)
    assert text == volatile.sanitize(sample)
    assert "5r28z" not in text and "10.244" not in text
