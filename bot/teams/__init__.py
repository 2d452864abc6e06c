"""Microsoft Teams: botbuilder's CloudAdapter on POST /api/messages, Adaptive Cards, proactive sends.

One module per job: `adapter` builds the SDK adapter from Settings, `bot` is the
thin ActivityHandler, `inbound` translates Activities, `cards` renders replies,
`turns` runs a conversation turn, `installs` handles install events, `private`
carries a channel conversation to a personal chat, `references` stores
conversation references, `messenger` sends proactively, `http` is the request
handler and `mount` puts it all on the aiohttp app.
"""
