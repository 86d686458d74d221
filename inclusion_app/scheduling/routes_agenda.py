"""Agendas (counsellor day and week, help point day), iCalendar feeds, absences, closures, walk-ins."""
