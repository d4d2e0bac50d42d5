"""The fixed colours of every page, from the Okabe-Ito palette (safe for colour-blind readers), and the matrix
lesson's diverging colour scale.

Colour is never the only carrier: values are labelled with their name, gradients with a leading "∂".
"""
FORWARD = "#0072B2"      # blue: forward values
GRADIENT = "#D55E00"     # vermillion: gradients
PENDING = "#C8C8C8"      # grey: not computed yet
HIGHLIGHT = "#F0E442"    # yellow halo: what the current step touches
INK = "#222222"
# Plotly's PiYG colour scale (ColorBrewer's pink to green) as #RRGGBB stops, the form the SVG heatmaps take
PIYG = ((0.0, "#8E0152"), (0.1, "#C51B7D"), (0.2, "#DE77AE"), (0.3, "#F1B6DA"), (0.4, "#FDE0EF"), (0.5, "#F7F7F7"),
        (0.6, "#E6F5D0"), (0.7, "#B8E186"), (0.8, "#7FBC41"), (0.9, "#4D9221"), (1.0, "#276419"))
