"""Codes shared by features, with their labels (English msgids; French through the catalogs).

Procedure categories: the 11 categories shared by La Coop de la médiation numérique and Aidants
Connect (DESIGN.md sections 2 and 4). Booking needs: DESIGN.md section 4.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

PROCEDURES = {
    "papiers_elections_citoyennete": _l("Papers, elections, citizenship"),
    "famille_scolarite": _l("Family, schooling"),
    "social_sante": _l("Social benefits, health"),
    "travail_formation": _l("Work, training"),
    "logement": _l("Housing"),
    "transports_mobilite": _l("Transport, mobility"),
    "argent_impots": _l("Money, taxes"),
    "justice": _l("Justice"),
    "etrangers_europe": _l("Foreigners, Europe"),
    "loisirs_sports_culture": _l("Leisure, sports, culture"),
    "associations": _l("Associations"),
}

NEEDS = {
    "lsf": _l("French sign language (LSF)"),
    "interprete": _l("Interpreter"),
    "mobilite_reduite": _l("Reduced mobility"),
    "malvoyance": _l("Low vision"),
    "autre": _l("Other need"),
}

MODES = {"on_site": _l("On site"), "phone": _l("By phone")}

APPOINTMENT_STATUSES = {
    "booked": _l("Booked"),
    "attended": _l("Attended"),
    "no_show": _l("Did not come"),
    "cancelled_by_resident": _l("Cancelled by the resident"),
    "cancelled_by_service": _l("Cancelled by the service"),
}

REMINDER_CHANNELS = {"sms": _l("SMS"), "email": _l("Email"), "none": _l("None: printed slip")}
