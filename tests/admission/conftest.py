import pytest

from tests.admission import factories as F


@pytest.fixture
def town(db):
    """Three primary schools a few km apart: NORTH (2 seats), MIDDLE (1 seat, ~3 km), SOUTH (5, ~30 km)."""
    d = F.district()
    return {
        "district": d,
        "north": F.school(d, "N01", 2, 30.00, 120.00),
        "middle": F.school(d, "M01", 1, 30.03, 120.00),
        "south": F.school(d, "S01", 5, 30.30, 120.00),
    }
