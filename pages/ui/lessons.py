"""The lessons, defined once: app.py builds the navigation from them and the home page lists them.

A lesson's title and summary live in the message catalogue under ``lessons.<key>``.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

HOME_FILE = "pages/home.py"
HOME_ICON = ":material/home:"


@dataclass(frozen=True)
class Lesson:
    """One lesson page: where its file is, its URL, its catalogue key, icon and source notes."""

    file: str  # relative to app.py
    key: str  # catalogue table: lessons.<key>.title, lessons.<key>.summary
    icon: str
    notes: tuple[str, ...]  # the source notes it is built from, e.g. ("000", "001")

    @property
    def url_path(self) -> str:
        """The page's URL is its file's name: Streamlit resolves a first request against the files in
        pages/ before app.py has declared the navigation, so any other path would show "Page not found"."""
        return Path(self.file).stem

    @property
    def title_key(self) -> str:
        return f"lessons.{self.key}.title"

    @property
    def summary_key(self) -> str:
        return f"lessons.{self.key}.summary"


LESSONS: tuple[Lesson, ...] = (
    Lesson(
        file="pages/chain_rule_graph.py",
        key="chain_rule",
        icon=":material/account_tree:",
        notes=("002",),
    ),
    Lesson(
        file="pages/single_node_chain.py",
        key="single_node_chain",
        icon=":material/linear_scale:",
        notes=("000", "001"),
    ),
    Lesson(
        file="pages/matrix_network.py",
        key="matrix_network",
        icon=":material/grid_on:",
        notes=("000", "001"),
    ),
    Lesson(
        file="pages/softmax_jacobian.py",
        key="softmax_jacobian",
        icon=":material/data_array:",
        notes=("003",),
    ),
    Lesson(
        file="pages/deep_networks.py",
        key="deep_networks",
        icon=":material/layers:",
        notes=("004",),
    ),
    Lesson(
        file="pages/training.py",
        key="training",
        icon=":material/trending_down:",
        notes=("000", "001"),
    ),
)


def lesson(key: str) -> Lesson:
    """The lesson whose catalogue key is ``key``."""
    for candidate in LESSONS:
        if candidate.key == key:
            return candidate
    raise KeyError(f"no lesson {key!r}; known: {', '.join(known.key for known in LESSONS)}")
