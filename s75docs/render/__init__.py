"""Render: sandboxed, strict Jinja2 templates of Markdown, and what they see."""
