import sys
from pathlib import Path

# The object builders beside these tests (helper_objects.py) are imported as a plain module.
sys.path.insert(0, str(Path(__file__).parent))
