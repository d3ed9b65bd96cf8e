"""The line classification kept in the home: read back as it was written."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from silkrail.network import classes
from silkrail.network.model import Network


def test_a_classification_read_back_from_the_home_equals_the_one_computed(
    small_net: Network, tmp_path: Path
) -> None:
    """The cache file holds every array and name of the classification (line class, record,
    top speed, record names, unplaced sections), and one of another network's size is refused."""
    net = dataclasses.replace(small_net)
    net.caches.clear()
    computed = classes.line_classes(net, home=tmp_path)
    (saved,) = tmp_path.glob("line-classes-*.npz")
    back = classes._read(saved, net.n_edges)
    assert back is not None
    assert np.array_equal(back.line_class, computed.line_class)
    assert np.array_equal(back.record, computed.record)
    assert np.array_equal(back.max_speed_kmh, computed.max_speed_kmh)
    assert np.array_equal(back.freight_class, computed.freight_class)
    assert (back.records, back.unplaced) == (computed.records, computed.unplaced)
    assert classes._read(saved, net.n_edges + 1) is None
