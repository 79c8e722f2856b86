"""flowterm.themes: colour themes (semantic variables: bull, bear, neutral, warning)."""
