"""Polls as plain Python: durations, vote decisions, voter pseudonyms, tallies and their rendering."""
