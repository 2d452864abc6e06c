"""Weekly nudges, the process side: the fan-out through the platforms, poll counts, and the scheduler.

- `fanout`: `NudgeSender.send_due`, exactly once per channel per week across processes (the SQL ledger)
- `batching`: group commit of the fan-out's claims and results
- `polls`: a poll's counts shown on the channel's nudge message
- `scheduler`: `send_due` every minute inside `leadbot serve`

What a channel can do (commands, votes, status) is `dialogs.nudges`.
"""
