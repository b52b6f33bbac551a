"""Versions: diff, deeds of variation, successions, redlines and git, all over models and trees."""
