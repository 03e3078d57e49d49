"""One plotting function per figure; each takes result rows and never recomputes metrics."""
