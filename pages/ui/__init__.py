"""Shared Streamlit UI helpers for the pages: messages, the lesson list, small layout pieces.

Nothing here computes a gradient; the numbers come from bp_core.
"""
