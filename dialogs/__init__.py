"""Platform-neutral conversation logic. Never imports slack_bolt, botbuilder or aiohttp."""
