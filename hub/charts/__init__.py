"""Charts drawn on the server as SVG: readable without JavaScript, labelled in the viewer's language.

Each module renders one kind of chart from plain numbers (no database, no Flask request): the pages
inline the SVG, and the same SVG is served at a `.svg` URL. The numbers behind every chart are also
a `hub.tabular.Table`, shown beside it and served as CSV.
"""
