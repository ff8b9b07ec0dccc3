"""One module (or package) per paper: the experiments a chapter calls.

Each function trains the networks of a figure, runs a sweep or evaluates a
claim; each is small, typed and unit-tested at tiny size. No experiment
module imports another one.
"""
