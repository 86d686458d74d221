"""Benchmarks of DESIGN.md section 7; each module prints its figures (run with `python -m bench.<name>`)."""
