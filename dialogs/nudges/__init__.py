"""Weekly channel nudges, platform-neutral: schedule and bank holidays, rotation, rendering, commands.

Storage and sending live in `bot.nudges`; nothing here imports a platform SDK or aiohttp.
"""
