"""Typed keys for values kept on the aiohttp request, shared by the server and the platform handlers."""

from aiohttp import web

from bot.nudges.service import NudgeService

# Set by a platform's handler so metrics say which surface a request was (dm, mention, slash...).
SURFACE = web.RequestKey("surface", str)

# Which platforms this process serves, and whether Slack runs over Socket Mode.
PLATFORMS = web.AppKey("platforms", list)
SOCKET_MODE = web.AppKey("socket_mode", bool)

# One per process: the scheduler and both platforms' nudge commands and poll presses share it and its
# messengers, which each platform adds as it starts.
NUDGES = web.AppKey("nudges", NudgeService)
