"""Write: the document tree as Markdown and as Word."""
