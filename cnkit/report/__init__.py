"""Report layer: files for the client (Excel workbooks, one-page summaries) from calculate-layer results.

It sits beside *show*: it takes what *calculate* returned and writes it out (openpyxl for Excel,
plain Markdown or HTML text). It computes nothing new and imports neither matplotlib nor ipywidgets
(a finished figure may be passed in to be embedded). One module per topic; import by module path,
e.g. ``from cnkit.report import roadmap``.
"""
