"""The drafters' workspace: ``s75docs serve``, a local web app over the same library."""
