"""Data derived from rotated archives, kept between runs (SPEC 12): the store, the feed plans, the
parallel cold reads that make them."""
