"""A stand-in for a lesson page that has not been written yet."""
import streamlit as st

from pages.ui.i18n import t
from pages.ui.lessons import lesson


def show(key: str) -> None:
    """The lesson's title and a note that it is coming later."""
    st.title(t(lesson(key).title_key))
    st.info(t("placeholder.coming_later"), icon=":material/construction:")
