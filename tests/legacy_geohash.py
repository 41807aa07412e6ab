"""Geohash cells: the index's cheap radius prefilter (exact distance is checked afterwards)."""

import math

_BASE32 = "0123456789bcdefghjkmnpqrstuvwxyz"
EARTH_RADIUS_MILES = 3958.8
PRECISIONS = (2, 3, 4, 5)
MAX_CELLS = 32


def encode(lat: float, lon: float, precision: int = 5) -> str:
    """The geohash of a point."""
    lat_range, lon_range = [-90.0, 90.0], [-180.0, 180.0]
    chars, bits, bit_count, even = [], 0, 0, True
    while len(chars) < precision:
        rng, value = (lon_range, lon) if even else (lat_range, lat)
        mid = (rng[0] + rng[1]) / 2
        bits <<= 1
        if value >= mid:
            bits |= 1
            rng[0] = mid
        else:
            rng[1] = mid
        even = not even
        bit_count += 1
        if bit_count == 5:
            chars.append(_BASE32[bits])
            bits = bit_count = 0
    return "".join(chars)


def cell_size(precision: int) -> tuple[float, float]:
    """(height, width) of a cell in degrees."""
    lon_bits = math.ceil(precision * 5 / 2)
    lat_bits = precision * 5 // 2
    return 180.0 / 2**lat_bits, 360.0 / 2**lon_bits


def prefixes(lat: float, lon: float) -> list[str]:
    """Every indexed prefix of a point's geohash, coarse to fine."""
    full = encode(lat, lon, max(PRECISIONS))
    return [full[:p] for p in PRECISIONS]


def bounding_box(lat: float, lon: float, miles: float) -> tuple[float, float, float, float]:
    """(south, west, north, east) around a point, padded by 1%."""
    angular = miles * 1.01 / EARTH_RADIUS_MILES
    dlat = math.degrees(angular)
    cos_lat = max(math.cos(math.radians(lat)), 1e-6)
    dlon = math.degrees(math.asin(min(1.0, math.sin(angular) / cos_lat)))
    return lat - dlat, lon - dlon, lat + dlat, lon + dlon


def covering_cells(lat: float, lon: float, miles: float) -> list[str]:
    """The cells of the finest indexed precision (at most 32 of them) that cover the radius."""
    south, west, north, east = bounding_box(lat, lon, miles)
    for precision in reversed(PRECISIONS):
        height, width = cell_size(precision)
        rows = math.floor((north + 90) / height) - math.floor((south + 90) / height) + 1
        cols = math.floor((east + 180) / width) - math.floor((west + 180) / width) + 1
        if rows * cols <= MAX_CELLS or precision == PRECISIONS[0]:
            break
    cells = set()
    row_lat = south
    while True:
        col_lon = west
        while True:
            cells.add(encode(max(-90.0, min(90.0, row_lat)), _wrap(col_lon), precision))
            if col_lon >= east:
                break
            col_lon = min(east, col_lon + width)
        if row_lat >= north:
            break
        row_lat = min(north, row_lat + height)
    return sorted(cells)


def _wrap(lon: float) -> float:
    return (lon + 180.0) % 360.0 - 180.0
