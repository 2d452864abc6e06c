"""The adapter layer and the process around it: platforms, server, storage, CLI."""
