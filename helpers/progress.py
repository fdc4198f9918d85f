"""Progress while waiting: an ipywidgets bar in Jupyter, a line per change elsewhere.

For notebooks stored with their outputs (and compared by nbval) the bar's text form is fixed when it is first
shown ("waiting for deployment/x"), and the final line is printed, so a re-run produces the same output.
"""
from __future__ import annotations

import contextlib
import io

from .display import in_notebook


class Progress:
    silent = False  # set by quietly(): helpers that wait on behalf of another helper show nothing

    def __init__(self, what: str):
        self.what = what
        self._last = ""
        self._bar = self._label = None
        if in_notebook() and not Progress.silent:
            self._show_widget()

    def _show_widget(self) -> None:
        try:
            import ipywidgets as widgets
            from IPython.display import display
        except ImportError:
            return
        self._bar = widgets.IntProgress(value=0, min=0, max=1, bar_style="info")
        self._label = widgets.Label(value=f"waiting for {self.what}")
        display(_Fixed(widgets.HBox([self._bar, self._label]), f"waiting for {self.what}"))

    def update(self, done: int, total: int, message: str) -> None:
        """Show `done` of `total` and a message (printed only when it changes, outside Jupyter)."""
        if self._bar is not None:
            self._bar.max = max(total, 1)
            self._bar.value = min(done, max(total, 1))
            self._label.value = message
        elif message != self._last and not Progress.silent:
            print(message, flush=True)
        self._last = message

    def finish(self, message: str, ok: bool = True) -> None:
        if self._bar is not None:
            self._bar.value = self._bar.max if ok else self._bar.value
            self._bar.bar_style = "success" if ok else "danger"
            self._label.value = message.splitlines()[0]
        if ok and not Progress.silent and (self._bar is not None or message != self._last):
            print(message, flush=True)  # outside Jupyter update() may have printed it already

    def close(self, message: str) -> None:
        """End the bar (full, green) with `message` on its label and print nothing: for a wait whose caller prints
        its own verdict next (a checkpoint)."""
        if self._bar is not None:
            self._bar.value = self._bar.max
            self._bar.bar_style = "success"
            self._label.value = message


@contextlib.contextmanager
def quietly():
    """Run waits without progress bars or messages (errors still raise)."""
    previous, Progress.silent = Progress.silent, True
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            yield
    finally:
        Progress.silent = previous


class _Fixed:
    """A widget whose plain-text form is a fixed sentence instead of the widget's changing repr."""

    def __init__(self, widget, text: str):
        self.widget, self.text = widget, text

    def _repr_mimebundle_(self, **kwargs):
        bundle = self.widget._repr_mimebundle_(**kwargs)
        data = bundle[0] if isinstance(bundle, tuple) else bundle
        data["text/plain"] = self.text
        return bundle
