"""Read models fed from the notification log, exactly once, and rebuildable from it."""
