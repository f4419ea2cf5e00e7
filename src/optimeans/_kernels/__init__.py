"""Numba kernels: plain functions over arrays, no Python objects, no validation.

Parallel kernels split the rows into fixed chunks of ``CHUNK`` rows and write
per-chunk partial results; the caller reduces them in chunk order, so results
are bitwise the same whatever the number of threads.
"""

from .lloyd import CHUNK, assign_labels, candidate_potentials, lloyd_pass, sqdist_to_center, update_min_sqdist

__all__ = ["CHUNK", "assign_labels", "candidate_potentials", "lloyd_pass", "sqdist_to_center", "update_min_sqdist"]
