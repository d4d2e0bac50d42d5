"""The lessons, defined once: app.py builds the navigation from them and the home page lists them.

A lesson's title and summary live in the message catalogue under ``lessons.<key>``.
"""
from __future__ import annotations

from dataclasses import dataclass

HOME_FILE = "pages/home.py"
HOME_ICON = ":material/home:"


@dataclass(frozen=True)
class Lesson:
    """One lesson page: where its file is, its URL, its catalogue key, icon and source notes."""

    file: str  # relative to app.py
    url_path: str
    key: str  # catalogue table: lessons.<key>.title, lessons.<key>.summary
    icon: str
    notes: tuple[str, ...]  # the source notes it is built from, e.g. ("000", "001")

    @property
    def title_key(self) -> str:
        return f"lessons.{self.key}.title"

    @property
    def summary_key(self) -> str:
        return f"lessons.{self.key}.summary"


LESSONS: tuple[Lesson, ...] = (
    Lesson(
        file="pages/chain_rule_graph.py",
        url_path="chain-rule",
        key="chain_rule",
        icon=":material/account_tree:",
        notes=("002",),
    ),
    Lesson(
        file="pages/single_node_chain.py",
        url_path="single-node-chain",
        key="single_node_chain",
        icon=":material/linear_scale:",
        notes=("000", "001"),
    ),
    Lesson(
        file="pages/matrix_network.py",
        url_path="matrix-network",
        key="matrix_network",
        icon=":material/grid_on:",
        notes=("000", "001"),
    ),
    Lesson(
        file="pages/softmax_jacobian.py",
        url_path="softmax-jacobian",
        key="softmax_jacobian",
        icon=":material/data_array:",
        notes=("003",),
    ),
    Lesson(
        file="pages/deep_networks.py",
        url_path="deep-networks",
        key="deep_networks",
        icon=":material/layers:",
        notes=("004",),
    ),
    Lesson(
        file="pages/training.py",
        url_path="training",
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
    raise KeyError(f"no lesson {key!r}; known: {', '.join(l.key for l in LESSONS)}")
