"""The aiohttp process behind `leadbot serve`: health, readiness, metrics and the platforms' routes."""
