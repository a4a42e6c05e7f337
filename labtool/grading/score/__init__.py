"""Points: the rubric (`rubric`, `default_rubric.toml`), one submission's grade and why points
are lost (`grade`, `reasons`, `model`), a class's files and gradebook imports (`exports`)."""
