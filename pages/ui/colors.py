"""The two fixed colours of every page, from the Okabe-Ito palette (safe for colour-blind readers).

Colour is never the only carrier: values are labelled with their name, gradients with a leading "∂".
"""
FORWARD = "#0072B2"      # blue: forward values
GRADIENT = "#D55E00"     # vermillion: gradients
PENDING = "#C8C8C8"      # grey: not computed yet
HIGHLIGHT = "#F0E442"    # yellow halo: what the current step touches
INK = "#222222"
