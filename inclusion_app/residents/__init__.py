"""Residents (usagers): find, register, update, merge. Personal data: counsellors, phone line, admins."""
