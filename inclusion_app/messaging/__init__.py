"""Messages to residents: the outbox, its texts, its backends and the staff pages around it."""
