"""Information governance: the settings as a DPO may see them, the audit at start-up, the privacy report."""
