"""One module per conversation flow; `dialogs.dialog` routes between them."""
