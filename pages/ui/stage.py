"""Where the parts of a step go on the screen.

A projected step shows its pictures (charts and diagrams, with a legend under them) on the left and its derivation
on the right, and a section with a heading of its own across the screen under both. At a desk each part is drawn
where the lesson draws it. A lesson marks its parts with `with stage.pictures():` and `with stage.below():`;
stepper.walk lays the step out. This was the projection sheet's work, by :has() rules that made the browser
restyle the step for up to 160 ms a Next click (docs/performance.md, change 20).
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from contextvars import ContextVar

import streamlit as st

# The projected step's left column and the container under both columns, while a step is being drawn in projection
# mode; None otherwise. A ContextVar: each session's script runs in a thread of its own.
_SLOTS: ContextVar[tuple | None] = ContextVar("bp_stage_slots", default=None)


@contextmanager
def laid_out(projected: bool) -> Iterator[None]:
    """Draw a step inside this: projected, its derivation into the right column, else in place."""
    if not projected:
        yield
        return
    pictures_column, derivation = st.columns(2, gap="small")
    token = _SLOTS.set((pictures_column, st.container()))
    try:
        with derivation:
            yield
    finally:
        _SLOTS.reset(token)


def pictures() -> AbstractContextManager:
    """The step's pictures: the left column of a projected step, else where they are drawn."""
    slots = _SLOTS.get()
    return slots[0] if slots else nullcontext()


def below() -> AbstractContextManager:
    """A section of the step with a heading of its own: under a projected step's columns, else where it is drawn."""
    slots = _SLOTS.get()
    return slots[1] if slots else nullcontext()
