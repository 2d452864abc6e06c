"""leadbot on Slack, with slack-bolt's AsyncApp. One folder, one job per module:

- `app`: `create_slack_app(runtime)`, the Bolt app (never built at import)
- `payloads`: the shape a request must have, as pydantic models (400 otherwise)
- `listeners`: thin Bolt listeners: ack, translate, hand to the turn router, render, send
- `inbound`: Slack payloads -> `dialogs.models.Inbound`
- `blocks`: a `Reply` as Block Kit within Slack's limits; `home`: the App Home tab
- `outbox`: replies to a channel, thread or response_url; `messenger`: proactive posts
- `failures`: what a failed Web API call means (`delivery_for`)
- `client`: the Web API client (SLACK_API_URL, slack_sdk's retry handlers)
- `installation`: OAuth installs in our database; `prefs`: a manager's settings
- `runtime`: what listeners share: the router, preferences, the work in flight
- `mount`: POST /slack/events and the OAuth pages on leadbot's aiohttp app
- `socket_mode`: `leadbot serve --socket-mode`; `manifest`: the shipped manifest.yaml
"""
