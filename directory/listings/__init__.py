"""Listings from public records (DESIGN.md, "Listings from public records, and claims"): the
NPPES file and rosters with business addresses seeded into unclaimed listings."""
