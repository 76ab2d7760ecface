"""Poll results outside Discord: a small aiohttp service for news sites (pages, embeds, JSON)."""
