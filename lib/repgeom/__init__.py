"""repgeom: kernels for the geometry of learned representations."""
__version__ = "0.1.0"
