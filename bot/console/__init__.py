"""The console platform: `leadbot chat` in a terminal."""
