"""The app's pages: one file per lesson, plus the home page, and the shared UI in pages/ui/.

app.py declares the navigation with st.navigation. A folder named pages/ beside app.py also makes
Streamlit, on the very first run after the server starts, run the requested page file on its own in its
older multipage mode (no app.py, its own sidebar). Importing this package (every page does) switches that
mode off and starts the run again, so app.py always declares the navigation.
"""
from streamlit.runtime.pages_manager import PagesManager

if PagesManager.uses_pages_directory:
    import streamlit as st

    PagesManager.uses_pages_directory = False
    st.rerun()
