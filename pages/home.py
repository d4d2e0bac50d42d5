"""Home: what Backprop Lab is, and the six lessons as cards linking to their pages."""
import streamlit as st

from pages.ui.i18n import t
from pages.ui.lessons import LESSONS, Lesson

CARDS_PER_ROW = 3


def lesson_card(number: int, lesson: Lesson) -> None:
    """Number, link, what the learner will take away, and the notes it is built from."""
    st.caption(t("home.lesson_number", number=number))
    st.page_link(lesson.file, label=f"**{t(lesson.title_key)}**", icon=lesson.icon)
    st.markdown(t(lesson.summary_key))
    notes_key = "home.notes_one" if len(lesson.notes) == 1 else "home.notes_many"
    st.caption(t(notes_key, notes=", ".join(lesson.notes)))


st.title(t("app.name"))
st.markdown(f"**{t('app.tagline')}**")
st.markdown(t("home.intro"))
st.caption(t("home.how_to"))

st.header(t("home.lessons_heading"))
for index, lesson in enumerate(LESSONS):
    if index % CARDS_PER_ROW == 0:
        columns = st.columns(CARDS_PER_ROW)
    with columns[index % CARDS_PER_ROW].container(border=True, height="stretch"):
        lesson_card(index + 1, lesson)
