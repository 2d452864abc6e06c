"""leadbot on Slack, with slack-bolt's AsyncApp. One folder, one job per module:

- `app`: `create_slack_app(settings, services, metrics)`, the Bolt app (never built at import)
- `listeners`: thin Bolt listeners: ack, translate, delegate, render, send
- `inbound`: Slack payloads -> `dialogs.models.Inbound`
- `blocks`: a `Reply` as Block Kit within Slack's limits; `home`: the App Home tab
- `outbox`: replies to a channel, thread or response_url; `messenger`: proactive posts
- `client`: the Web API client (SLACK_API_URL, slack_sdk's retry handlers)
- `installation`: OAuth installs in our database; `prefs`: a manager's settings
- `runtime`: what listeners share, and the work in flight
- `mount`: POST /slack/events and the OAuth pages on leadbot's aiohttp app
- `socket_mode`: `leadbot serve --socket-mode`; `manifest`: the shipped manifest.yaml
"""
