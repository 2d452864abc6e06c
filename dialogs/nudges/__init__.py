"""Weekly channel nudges, platform-neutral: schedule and bank holidays, rotation, rendering, commands and votes.

`turns` answers a `nudge ...` command or a poll vote over a `store.NudgeStore`
(in memory here, SQL in `bot.storage.nudge_store`). Sending the weekly fan-out
through the platforms lives in `bot.nudges`. Nothing here imports a platform
SDK, aiohttp or the database.
"""
