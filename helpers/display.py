"""Show things the right way for where the code runs: rich output in Jupyter, plain text elsewhere."""
from __future__ import annotations


def in_notebook() -> bool:
    """True inside a Jupyter kernel (where HTML, SVG and widgets render), False in a terminal or a script."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"


def emit(*objects) -> None:
    """display() each object in Jupyter (its HTML/SVG form), print its text elsewhere."""
    if in_notebook():
        from IPython.display import display

        display(*objects)
    else:
        for obj in objects:
            print(obj if isinstance(obj, str) else repr(obj))
