"""Load: an agreement folder's YAML (with a line for every field), presets and budget tables."""
