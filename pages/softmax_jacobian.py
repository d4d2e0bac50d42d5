"""Lesson placeholder: replaced when the lesson is written."""
from pages.ui.placeholder import show

show("softmax_jacobian")
