"""Document: one tree parsed from the rendered Markdown, numbered and cross-referenced."""
