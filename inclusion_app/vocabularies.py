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

# Help sessions (accompagnements): the categories of La Coop de la médiation numérique (ANCT),
# codes as DESIGN.md section 4 writes them (lower-case snake_case, French as in La Coop).

SESSION_TYPES = {"individuel": _l("Individual"), "collectif": _l("Collective workshop")}

PLACE_TYPES = {
    "lieu_activite": _l("At a help point"),
    "domicile": _l("At the person's home"),
    "a_distance": _l("Remote"),
    "autre": _l("Other place"),
}

THEMES = {
    "diagnostic_numerique": _l("Digital skills assessment"),
    "prendre_en_main_du_materiel": _l("Getting to grips with a device"),
    "maintenance_de_materiel": _l("Device maintenance"),
    "gere_ses_contenus_numeriques": _l("Managing one's digital content"),
    "navigation_sur_internet": _l("Browsing the internet"),
    "email": _l("Email"),
    "bureautique": _l("Office software"),
    "reseaux_sociaux": _l("Social networks"),
    "sante": _l("Health"),
    "banque_et_achats_en_ligne": _l("Online banking and shopping"),
    "entrepreneuriat": _l("Entrepreneurship"),
    "insertion_professionnelle": _l("Finding work"),
    "securite_numerique": _l("Digital security"),
    "parentalite": _l("Parenting"),
    "scolarite_et_numerique": _l("Schooling and digital"),
    "creer_avec_le_numerique": _l("Creating with digital tools"),
    "culture_numerique": _l("Digital culture"),
    "intelligence_artificielle": _l("Artificial intelligence"),
    "aide_aux_demarches_administratives": _l("Help with administrative procedures"),
}

ADMINISTRATIVE_THEME = "aide_aux_demarches_administratives"

EQUIPMENT = {
    "ordinateur": _l("Computer"),
    "telephone": _l("Phone"),
    "tablette": _l("Tablet"),
    "autre": _l("Other equipment"),
    "aucun": _l("No equipment"),
}

AUTONOMY = {
    "entierement_accompagne": _l("Fully accompanied"),
    "partiellement_autonome": _l("Partly autonomous"),
    "autonome": _l("Autonomous"),
}

SESSION_OUTCOMES = {
    "finalisee": _l("Procedure completed"),
    "a_finaliser_en_autonomie": _l("Left to finish alone"),
    "doit_revenir": _l("Must come back"),
    "oriente_vers_structure": _l("Referred elsewhere"),
}

REFERRALS = {
    "administration": _l("An administration"),
    "mediation_numerique": _l("Digital inclusion help"),
    "operateur_ou_organisme_en_charge": _l("The operator or organisation in charge"),
    "aide_sociale": _l("Social aid"),
    "insertion_professionnelle": _l("Employment support"),
    "aide_aux_demarches_administratives": _l("Help with administrative procedures"),
    "autre": _l("Other structure"),
}

WORKSHOP_LEVELS = {"debutant": _l("Beginner"), "intermediaire": _l("Intermediate"), "avance": _l("Advanced")}

GENDERS = {"masculin": _l("Male"), "feminin": _l("Female"), "non_communique": _l("Not given")}

SOCIAL_STATUSES = {
    "scolarise": _l("In education"),
    "sans_emploi": _l("Without a job"),
    "en_emploi": _l("In work"),
    "retraite": _l("Retired"),
    "non_communique": _l("Not given"),
}

# Derived from a birth year, never typed (La Coop's bands).
AGE_BANDS = {
    "moins_de_douze": _l("Under 12"),
    "douze_dix_huit": _l("12 to 18"),
    "dix_huit_vingt_quatre": _l("18 to 24"),
    "vingt_cinq_trente_neuf": _l("25 to 39"),
    "quarante_cinquante_neuf": _l("40 to 59"),
    "soixante_soixante_neuf": _l("60 to 69"),
    "soixante_dix_plus": _l("70 and over"),
    "non_communique": _l("Not given"),
}

# Unmet rights (non-recours detected at the desk): ODENORE typology (Observatoire des
# non-recours aux droits et services, Warin 2010) and DESIGN.md section 4. The rights list is the
# default; a city adds its own with the UNMET_RIGHTS_EXTRA setting.
RIGHTS = {
    "rsa": _l("RSA (minimum income)"),
    "prime_activite": _l("Prime d'activité (in-work benefit)"),
    "complementaire_sante_solidaire": _l("Complémentaire santé solidaire (health cover)"),
    "aide_logement": _l("Housing aid"),
    "aah": _l("AAH (disability allowance)"),
    "aspa": _l("ASPA (old-age minimum)"),
    "cheque_energie": _l("Chèque énergie (energy voucher)"),
    "prestations_familiales": _l("Family benefits"),
    "assurance_chomage": _l("Unemployment insurance"),
    "retraite": _l("Retirement pension"),
    "aide_locale": _l("Local aid"),
    "autre": _l("Other right"),
}

RIGHT_SITUATIONS = {
    "jamais_demande": _l("Never claimed"),
    "demande_en_cours": _l("Claim pending"),
    "interrompu_ou_refuse": _l("Interrupted or refused"),
}

NON_TAKE_UP_FORMS = {
    "non_connaissance": _l("Not known (non-connaissance)"),
    "non_demande": _l("Not claimed (non-demande)"),
    "non_reception": _l("Not received (non-réception)"),
    "non_proposition": _l("Not offered (non-proposition)"),
    "non_orientation": _l("Not referred (non-orientation)"),
}

NON_TAKE_UP_REASONS = {
    "manque_information": _l("Lack of information"),
    "complexite": _l("Complexity"),
    "crainte_consequences": _l("Fear of consequences"),
    "refus_aide": _l("Does not want the aid"),
    "pas_equipement_connexion": _l("No device or connection"),
    "competences_numeriques": _l("Lacks digital skills"),
    "identifiants_identite": _l("No login or identity issue"),
    "langue": _l("Language"),
    "dossier_bloque": _l("File blocked at the organisation"),
    "autre": _l("Other reason"),
}

RIGHT_ACTIONS = {
    "information": _l("Information"),
    "simulation": _l("Simulation"),
    "demande_accompagnee": _l("Claim filed with help"),
    "demande_pour_la_personne": _l("Claim filed for the person"),
    "orientation": _l("Referral"),
}

RIGHT_OUTCOMES = {
    "repere": _l("Detected"),
    "deposee": _l("Claim filed"),
    "ouvert": _l("Right opened"),
    "refuse": _l("Refused"),
    "abandonne": _l("Abandoned"),
    "inconnu": _l("Unknown"),
}
