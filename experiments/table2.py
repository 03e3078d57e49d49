"""The paper's Table 2: how ten influential benchmarks grade "I don't know".

The experiment writes it as Markdown, LaTeX and CSV: ``hallusim run table2``.
"""

from hallusim.posttraining.table2 import table2_markdown

print(table2_markdown(with_leaderboards=True, with_notes=False))
