"""Readable ``repr`` pieces and the compact notebook (``_repr_html_``) summary table shared by
TensorTrain-based results (FunctionalTT, pde.Solution, mcmc.SampleResult)."""

from __future__ import annotations

import html
from typing import Any, Iterable, Sequence

__all__ = ["short_list", "summary_html"]


def short_list(values: Sequence[Any], head: int = 4, tail: int = 2) -> str:
    """``[1, 4, 4, 4, ..., 4, 1]`` for long sequences (a rank vector of d = 100), else the list."""
    values = list(values)
    if len(values) <= head + tail + 1:
        return "[" + ", ".join(map(str, values)) + "]"
    return "[" + ", ".join(map(str, values[:head])) + ", ..., " + ", ".join(map(str, values[-tail:])) + "]"


def summary_html(title: str, rows: Iterable[tuple[str, Any]]) -> str:
    """A two-column HTML table headed by ``title`` (every value escaped)."""
    body = "".join(f"<tr><th style='text-align:left'>{html.escape(str(k))}</th>"
                   f"<td style='text-align:left'>{html.escape(str(v))}</td></tr>" for k, v in rows)
    return f"<table><caption style='text-align:left'><b>{html.escape(title)}</b></caption>{body}</table>"
