import numpy as np
import pytest

import optimeans
from optimeans.datasets import load


def test_iris_reaches_known_optimum():
    r = optimeans.fit(load("iris"), 3, random_state=0)
    assert r.objective == pytest.approx(78.851441426146, rel=1e-12)
    assert r.method == "lloyd+swap+hartigan"  # the default refinement of small problems (refine="auto")
    assert r.converged
    assert np.bincount(r.labels).sum() == 150
