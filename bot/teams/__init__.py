"""Microsoft Teams: botbuilder's CloudAdapter on POST /api/messages, Adaptive Cards, proactive sends.

One module per job: `adapter` builds the SDK adapter from Settings, `http` is
the request handler, `inbound` reads an Activity once (its shape, where it came
from, its `Inbound`), `bot` is the thin ActivityHandler, `turns` hands a
message to the turn router and sends the replies, `cards` renders replies,
`installs` handles install events, `private` carries a channel conversation to
a personal chat, `references` stores conversation references, `messenger`
sends proactively, `failures` says what a failed connector call means,
`runtime` holds it all and `mount` puts it on the aiohttp app.
"""
