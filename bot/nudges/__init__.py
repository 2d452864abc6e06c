"""Weekly nudges, the process side: storage, the fan-out engine, the service adapters call, the scheduler.

Importing this package registers the "forget me" hook that scrubs who turned
nudges on from subscriptions (bot.storage.sql_store.FORGET_HOOKS).
"""

from bot.nudges import store as _store  # noqa: F401  (registers the forget-me hook)
