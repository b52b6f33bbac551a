"""Check: the data against the statute and the arithmetic, the rendered text against the statute map."""
