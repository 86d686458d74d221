"""Pages of the phone line and the desk: find a resident, a slot, book; slips; residents' links."""
