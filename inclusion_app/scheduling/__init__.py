"""Scheduling: the slot search (`slots`), and later the booking services and their blueprint."""
