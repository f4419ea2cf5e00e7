"""Exact k-means: provable optima and certified bounds."""

from .branch_bound import branch_and_bound

__all__ = ["branch_and_bound"]
