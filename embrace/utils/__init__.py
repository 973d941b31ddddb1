"""Small helpers shared by several embrace modules (logging)."""
