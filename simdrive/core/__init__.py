"""numba kernels: arrays in, arrays out, no Python objects.

Modules here import only numpy, numba and math. ``layout`` names the rows of
the packed state blocks; ``step.advance_worlds`` is the single compiled entry
point that the orchestration in :mod:`simdrive.sim` calls.
"""
