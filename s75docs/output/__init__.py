"""Output: files written atomically under a lock, and the fingerprints of what a build read."""
