"""Backprop Lab's entry point: page config, the classroom controls every page shares, then the chosen page.

Run with ``python -m streamlit run app.py``.
"""
import streamlit as st

from pages.ui import classroom, server
from pages.ui.i18n import t
from pages.ui.lessons import HOME_FILE, HOME_ICON, LESSONS

st.set_page_config(page_title="Backprop Lab", layout="wide")
server.no_delay()   # once per process: Streamlit's WebSocket would wait on Nagle's algorithm (pages/ui/server.py)

home = st.Page(HOME_FILE, title=t("nav.home"), icon=HOME_ICON, default=True)
lessons = [
    st.Page(lesson.file, title=t(lesson.title_key), icon=lesson.icon, url_path=lesson.url_path)
    for lesson in LESSONS
]
page = st.navigation({"": [home], t("nav.lessons"): lessons})
# Before the page: the projection toggle and language sit above its inputs, the toolbar above its title.
classroom.setup(page.url_path)
classroom.toolbar(page.url_path, lesson=page.url_path in {lesson.url_path for lesson in LESSONS})
page.run()
# Once a run has imported new modules (a lesson's first visit), they leave Python's full collections (server.py).
server.freeze_new_imports()
