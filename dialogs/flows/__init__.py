"""One module per conversation flow; `dialogs.engine` routes between them."""
