"""The floor for benchmarks/bench_browser.py: Streamlit's own round trip with nothing else on the page.

An empty page with Previous/Next buttons and a "Step k of n" line (the lessons' wording), and one
sidebar slider whose value is shown in the main area, so that a click, a slider move and a first load
can each be timed against the same thing done by an app that does no work at all. A plain rerun, no
fragment: this is what "as fast as an empty Streamlit page" means. It runs with the app's server settings: the
repository's .streamlit/config.toml, and TCP_NODELAY on its sockets (pages/ui/server.py), as the app sets it.

    python -m streamlit run benchmarks/floor_app.py
"""
import sys
from pathlib import Path

import streamlit as st

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from pages.ui import server  # noqa: E402

server.no_delay()

N = 1000  # never reached by a benchmark run: Next is always enabled

st.session_state.setdefault("floor-step", 1)
x = st.sidebar.slider("x", 0.0, 10.0, 5.0, 0.1, key="floor-x")


def move(delta: int) -> None:
    st.session_state["floor-step"] = min(max(st.session_state["floor-step"] + delta, 1), N)


k = st.session_state["floor-step"]
with st.container(key="bp-stepper-floor", horizontal=True, vertical_alignment="center"):
    st.button("First", key="floor-first", on_click=move, args=(-N,), disabled=k == 1)
    st.button("Previous", key="floor-previous", on_click=move, args=(-1,), disabled=k == 1)
    st.button("Next", key="floor-next", on_click=move, args=(1,), type="primary")
    st.markdown(f"**Step {k} of {N}**")
st.markdown(f"x = {x:.1f}")
