"""Hand-built mail fixtures in the layouts real clients produce (see forwards.py, answers.py)."""
