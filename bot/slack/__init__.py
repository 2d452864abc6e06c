"""leadbot on Slack, with slack-bolt's AsyncApp.

One job per module: `app` builds the Bolt app, `listeners` translates Slack
payloads (`inbound`) and delegates to the dialogs, `blocks` renders a Reply as
Block Kit, `home` builds the App Home tab, `outbox` and `messenger` send,
`installation` keeps OAuth installs in our database, `socket_mode` and `mount`
serve it. Nothing outside this folder imports slack_bolt.
"""
