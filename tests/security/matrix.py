"""Who may do what: the expected answer of every URL to every kind of user, for GET and for POST.

One row per URL name (or, for the admin's few unnamed patterns, per route). A row maps each role to
(answer to GET, answer to POST). An answer is a status code, or the name of the view a 302 points to:
`LOGIN` is the app's login page, `ADMIN_LOGIN` the admin's; `NOT_ASKED` marks a POST that would only
repeat the GET's answer. POSTs carry no data, so a permitted POST shows the form again (200, or 400 where
the view says so; views that build their form from `request.POST or None` take an empty POST for a first
visit) and a refused one is stopped before any form.

The objects in the URLs all belong to team A's owning rep (see the `world` in test_permission_matrix.py):
"other team" roles probe another team's ids, and must never get 200 on them.
"""

ROLES = [
    "anonymous",
    "owner",  # team A's rep who owns the customer (and logged the visit, is assigned the reminder...)
    "same_team_rep",  # another rep of team A; the challenger of the world's dispute
    "other_team_rep",
    "manager",  # leads team A
    "other_manager",  # leads team B
    "admin",
    "departed",  # a rep of team A who logged in, then left: mark_departed made the account inactive
]
# Roles with a session the app honours; the departed rep's session no longer counts (inactive users are not loaded).
SIGNED_IN = ["owner", "same_team_rep", "other_team_rep", "manager", "other_manager", "admin"]

LOGIN = "accounts:login"
ADMIN_LOGIN = "admin:login"

OK = (200, 200)
REFUSED = (403, 403)
HIDDEN = (404, 404)  # the object is not among those the user may see: it does not exist for them
OUT = (LOGIN, LOGIN)


def both(answer):
    """The same answer to GET and POST."""
    return (answer, answer)


def public(everyone, **by_role):
    """No login needed: every role answers `everyone` unless named."""
    return {role: by_role.get(role, everyone) for role in ROLES}


def signed_in(everyone, **by_role):
    """Behind the login: anonymous and departed users go to the login page, the others answer `everyone`."""
    return public(everyone, **{"anonymous": OUT, "departed": OUT, **by_role})


def team_a(allowed, others=HIDDEN, **by_role):
    """Team A's object: its owner, team A's manager and the admin get `allowed`; anyone else `others`."""
    return signed_in(others, **{"owner": allowed, "manager": allowed, "admin": allowed, **by_role})


def managers(allowed, **by_role):
    """Managers and admins only (`manager_required`): every rep is refused, whatever the object."""
    return signed_in(allowed, **{"owner": REFUSED, "same_team_rep": REFUSED, "other_team_rep": REFUSED, **by_role})


def post_only(row):
    """`require_POST`: a GET from anyone signed in is 405 (the login still comes first)."""
    return {role: (405, post) if role in SIGNED_IN else (get, post) for role, (get, post) in row.items()}


def uploaders_action(done):
    """An action on team A's manager's import: managers only, POST only, and only the uploader acts on it
    (an admin may look at anyone's import, not act on it)."""
    return managers((405, 404), manager=(405, done), admin=(405, 403))


# The admin's gate (the login check, then admin_view) answers before any admin view looks at the method: for
# anyone but the admin a POST would only repeat the GET's answer, so it is not asked.
NOT_ASKED = "not asked"


def admin_site(for_admin, *, signed_out=ADMIN_LOGIN, others=ADMIN_LOGIN):
    """Behind the admin's gate: the admin gets `for_admin`; the signed-out and every other user are sent away."""
    away, signed_out = (others, NOT_ASKED), (signed_out, NOT_ASKED)
    return public(away, anonymous=signed_out, departed=signed_out, admin=for_admin)


TO_THE_BOARD = both("board:board")

# The REST API answers for itself: 401 to the signed-out (and to a departed rep's session or token), never the
# login page. Its POSTs carry an empty JSON object, so a permitted one is refused by validation (400).
API_OUT = (401, 401)
READS = (200, 405)  # a resource that only reads


def api(everyone, **by_role):
    return public(everyone, **{"anonymous": API_OUT, "departed": API_OUT, **by_role})


def api_team_a(allowed, others=(404, 405), **by_role):
    """Team A's record through the API: its owner, team A's manager and the admin get `allowed`; anyone else
    404 (a POST to a route that does not take one: 405 first, the method is checked before the record)."""
    return api(others, **{"owner": allowed, "manager": allowed, "admin": allowed, **by_role})


EXPECTED = {
    # --- crm: start page, customers, contacts ---
    "home": signed_in(both("visits:day"), manager=TO_THE_BOARD, other_manager=TO_THE_BOARD, admin=TO_THE_BOARD),
    "healthz": public(OK),
    "notifications": signed_in((200, "notifications")),  # each sees their own; POST marks them read
    "set_language": public(both("home")),  # works on the login page too; without `next` it goes back to /
    "crm:customer_list": signed_in(OK),  # filtered to what each may see (the leak check looks)
    "crm:customer_create": signed_in(both("claims:register")),
    "crm:customer_export": managers(OK),  # a manager's file holds only what they see (the leak check reads the CSV)
    "crm:customer_suggest": signed_in(OK),
    "search": signed_in(OK),  # the search box: what each may see, others' customers only named with the holder
    "crm:customer_detail": team_a(OK),
    "crm:customer_update": team_a(OK),
    "crm:customer_set_grade": post_only(managers(both(400), other_manager=HIDDEN)),
    "crm:customer_dossier": team_a(OK),
    "crm:contact_create": team_a(OK),
    "crm:contact_update": team_a(OK),
    "crm:contact_delete": post_only(team_a(both("crm:customer_detail"))),
    # --- customer imports: the world's import was uploaded (and checked) by team A's manager ---
    "crm:import_start": managers(OK),  # an empty POST is a fresh form
    "crm:import_template": managers(OK),
    "crm:deal_import_start": managers(OK),  # an empty POST is a fresh form
    "crm:deal_import_template": managers(OK),
    "crm:import_job": managers(OK, other_manager=HIDDEN),
    "crm:import_progress": managers(OK, other_manager=HIDDEN),
    "crm:import_confirm": uploaders_action("crm:import_job"),
    "crm:import_resume": uploaders_action("crm:import_job"),
    "crm:import_discard": uploaders_action("crm:import_start"),
    "crm:import_errors": managers(OK, other_manager=HIDDEN),
    "crm:import_file": managers(HIDDEN),  # the world's import is checked: its upload is no longer kept
    # --- the follow-up board, asked for team A (?team=) ---
    "board:board": managers(OK, other_manager=HIDDEN),
    "board:digest_pdf": managers(OK, other_manager=HIDDEN),
    "board:forecast": managers(OK, other_manager=HIDDEN),
    "board:targets": managers(OK, other_manager=HIDDEN),  # an empty POST is a first visit
    "board:reassign": managers((200, 400), other_manager=HIDDEN),
    "board:set_grade": managers((200, 400), other_manager=HIDDEN),
    # --- complaints ---
    "complaints:list": signed_in(OK),
    "complaints:measures": signed_in(OK),
    "complaints:create": team_a(OK),
    "complaints:detail": team_a(OK),
    "complaints:edit": team_a(OK),
    "complaints:move": post_only(team_a(both(400))),  # no target state: refused by the workflow with 400
    "complaints:pdf": team_a(OK),
    # --- deals (the world's open deal on team A's customer, with a line, a person and a competitor) ---
    "deals:pipeline": signed_in(OK),  # filtered to what each may see (the leak check looks)
    "deals:export": managers(OK),  # the pipeline's deals a manager sees (tests/deals/test_exports.py reads the file)
    "deals:create": team_a(OK),  # an empty POST is the form with its errors
    "deals:detail": team_a(OK),
    "deals:edit": team_a(OK),
    "deals:move": post_only(team_a(both(400))),  # no stage chosen
    "deals:win": post_only(team_a(both("deals:detail"))),  # the deal has its amount: won, and back to its page
    "deals:lose": post_only(team_a(both(400))),  # no reason
    "deals:abandon": post_only(team_a(both(400))),  # no reason, no note
    "deals:line_add": post_only(team_a(both(400))),
    "deals:person_add": post_only(team_a(both(400))),
    "deals:competitor_add": post_only(team_a(both(400))),
    "deals:line_delete": post_only(team_a(both("deals:detail"))),
    "deals:person_delete": post_only(team_a(both("deals:detail"))),
    "deals:competitor_delete": post_only(team_a(both("deals:detail"))),
    # --- attachments (the world's visit's photo): downloads only (removal is a box on the visit's form) ---
    "evidence:file": team_a((200, 405), others=(404, 405)),
    "evidence:thumbnail": team_a((200, 405), others=(404, 405)),
    # --- webhooks: admins only (the events carry every team's customers); the world's endpoint ---
    "webhooks:list": signed_in(REFUSED, admin=OK),  # an empty POST is a fresh form
    "webhooks:detail": signed_in(REFUSED, admin=OK),
    "webhooks:disable": post_only(signed_in(REFUSED, admin=both("webhooks:detail"))),
    "webhooks:enable": post_only(signed_in(REFUSED, admin=both("webhooks:detail"))),
    "webhooks:rotate": post_only(signed_in(REFUSED, admin=both("webhooks:detail"))),
    # --- accounts ---
    "accounts:login": signed_in(both("home"), anonymous=OK, departed=OK),
    "accounts:logout": signed_in((405, LOGIN)),
    "accounts:password_change": signed_in(OK),
    "accounts:password_change_done": signed_in((200, 405)),
    "accounts:team": managers(OK, other_manager=HIDDEN),  # asked for team A (?team=)
    "accounts:profile": signed_in(OK),  # one's own profile and API tokens; an empty POST is a fresh form
    "accounts:api_token_revoke": post_only(signed_in(HIDDEN, owner=both("accounts:profile"))),  # the owner's token
    # --- visits, reminders, calendar ---
    "visits:day": signed_in(OK),
    "visits:visit_create": team_a(OK),
    "visits:service_worker": public((200, 405)),  # installed from the login page too; it holds nothing private
    "visits:manifest": public((200, 405)),  # browsers fetch it without the session
    "visits:offline_csrf": signed_in((200, 405)),
    "visits:snooze": team_a(OK),
    "visits:customer_site": managers(OK, other_manager=HIDDEN),  # set or confirmed by the customer's manager
    # The author corrects their log for a week, an admin always; team A's manager reads it but may not change it.
    "visits:visit_edit": team_a(OK, manager=REFUSED),
    "visits:visit_pdf": team_a(OK),
    "visits:visit_history": team_a(OK),
    "visits:escalation_list": managers(OK),  # each manager's own escalations (the leak check looks)
    "visits:calendar": signed_in((200, "visits:calendar")),  # POST makes a new address for oneself
    # A phone calendar cannot log in: the owner's private token is the only key, whoever holds it.
    # tests/visits/test_calendar.py shows a wrong, revoked or departed rep's token gets 404.
    "visits:calendar_feed": public(OK),
    "visits:reminder_dismiss": post_only(signed_in(HIDDEN, owner=both("visits:day"))),  # only the assignee's
    # --- ownership: registration, pool, disputes, departures ---
    "claims:register": signed_in(OK),
    "claims:duplicate_check": signed_in(OK),
    "claims:pool": signed_in(OK),
    # Any customer id: a rep a moment too late learns who took it. Held customers are refused back to the pool;
    # admins do not claim (they assign).
    "claims:claim": post_only(signed_in(both("claims:pool"), admin=REFUSED)),
    "claims:release": team_a(OK),
    "claims:transfer": managers(OK, other_manager=HIDDEN),
    "claims:dispute_open": team_a(OK),
    "claims:dispute_list": signed_in(OK),
    # Holder and challenger read their dispute; team A's manager (and the admin) decide it.
    "claims:dispute_detail": signed_in(HIDDEN, owner=(200, 403), same_team_rep=(200, 403), manager=OK, admin=OK),
    "claims:depart": managers(OK, other_manager=HIDDEN),  # the owner leaves
    "claims:credit_shares": signed_in(OK),
    # The owner's second customer, whose credit a split shares with the other team's rep: they read its card
    # (nothing more); those who see it in full are sent to the full card.
    "claims:credit_share_card": signed_in(
        HIDDEN,
        owner=both("crm:customer_detail"),
        manager=both("crm:customer_detail"),
        admin=both("crm:customer_detail"),
        other_team_rep=OK,
    ),  # fmt: skip
    # --- the REST API (/api/v1/): the same rules through tokens too (test_permission_matrix.py asks both) ---
    "api:schema": api(READS),
    "api:docs": api(READS),
    "api:customer_list": api(READS),  # filtered to what each may see (the leak check looks)
    "api:register": api((405, 400)),
    "api:customer_detail": api_team_a(READS),  # a PATCH goes through customer_edit, as the edit page
    "api:ownership_history": api_team_a(READS),
    "api:contact_list": api_team_a((200, 400), others=HIDDEN),
    "api:contact_detail": api_team_a(READS),
    "api:customer_visits": api_team_a((200, 400), others=HIDDEN),
    "api:customer_complaints": api_team_a((200, 400), others=HIDDEN),
    "api:day": api(READS),
    "api:pool": api(READS),
    # Any customer id, as the pool page: a rep too late learns who holds it (409); admins assign, never claim.
    "api:claim": api((405, 409), admin=(405, 403)),
    "api:dispute_list": api(READS),
    "api:dispute_detail": api_team_a(READS, same_team_rep=READS),  # the challenger reads it too
    # Parties (holder, challenger) read it and may not decide it; team A's manager and the admin may.
    "api:dispute_decide": api_team_a((405, 400), others=(405, 404), owner=(405, 403), same_team_rep=(405, 403)),
    "api:complaint_list": api(READS),
    "api:complaint_detail": api_team_a(READS),
    "api:complaint_step": api_team_a((405, 400), others=(405, 404)),
    "api:deal_list": api(READS),  # filtered to what each may see (the leak check looks)
    "api:customer_deals": api_team_a((200, 400), others=HIDDEN),  # an empty POST: no title
    "api:deal_detail": api_team_a(READS),  # a PATCH goes through opportunity_update, as the edit page
    "api:deal_move": api_team_a((405, 400), others=(405, 404)),  # no stage
    "api:deal_win": api_team_a((405, 200), others=(405, 404)),  # the deal has its amount: won
    "api:deal_lose": api_team_a((405, 400), others=(405, 404)),  # no reason
    "api:deal_abandon": api_team_a((405, 400), others=(405, 404)),  # no reason, no note
    # --- the Django admin, site-wide views ---
    "admin:index": admin_site(OK),
    # Open to all: a signed-in non-admin is told to sign in as an admin; the admin goes on to the index.
    "admin:login": public(OK, admin=("admin:index", 200)),
    # A signed-in non-admin is sent to the admin's index (which then asks them to sign in as an admin).
    "admin:logout": admin_site((405, LOGIN), others="admin:index"),
    "admin:password_change": admin_site(OK),
    "admin:password_change_done": admin_site((200, 405)),
    "admin:autocomplete": admin_site((403, 405)),  # no field named: refused
    "admin:jsi18n": admin_site((200, 405)),
    "admin:view_on_site": admin_site(HIDDEN),  # a customer has no page address of its own
    "admin:app_list": admin_site(OK),
    "admin/(?P<url>.*)$": admin_site(HIDDEN),  # no such admin page
}

# --- the Django admin, per registered model ---
# ModelAdmin wraps its views in admin_view only when called, so LoginRequiredMiddleware does not see them as
# open and sends signed-out visitors to the app's login page rather than the admin's: both are login pages.
CHANGELIST = "<the model's changelist>"
NO_ADD = {"add": REFUSED}
NO_DELETE = {"delete": REFUSED}
# Nothing to change on the page: an empty POST "saves" the row as it is and goes back to the list.
ALL_FIELDS_READ_ONLY = {"change": (200, CHANGELIST)}
# Written only by the app's services, which keep the history: the admin reads (a change page shows, a POST is 403).
READ_ONLY = {"add": REFUSED, "change": (200, 403), "delete": REFUSED}

# What the admin gets on each model's pages where it is not a plain 200 (an empty POST to add or change shows
# the form with its errors; to delete, asks to confirm).
ADMIN_MODELS = {
    "auth.group": {},
    "axes.accessattempt": {**NO_ADD, **ALL_FIELDS_READ_ONLY},
    "axes.accesslog": {**NO_ADD, **ALL_FIELDS_READ_ONLY},
    "axes.accessfailurelog": {**NO_ADD, **ALL_FIELDS_READ_ONLY},
    "accounts.team": {},
    "accounts.user": {},
    "accounts.auditentry": READ_ONLY,
    "accounts.apitoken": READ_ONLY,  # made by their owners on the profile page; listed and revoked (an action) here
    "crm.graderule": NO_DELETE,
    "crm.customer": {**NO_ADD, **NO_DELETE},  # registered in the app, through the duplicate check
    "crm.contact": {},
    "crm.gradechange": READ_ONLY,
    "crm.jobheartbeat": {**NO_ADD, **ALL_FIELDS_READ_ONLY},
    "complaints.responsedeadline": NO_DELETE,
    "complaints.complaint": READ_ONLY,
    "deals.stage": NO_DELETE,  # deals and their history point at stages: taken out of use instead
    "deals.closereason": NO_DELETE,
    "deals.opportunity": READ_ONLY,
    "deals.purchase": READ_ONLY,
    "claims.ownershippolicy": {**NO_ADD, **NO_DELETE},  # the one policy row exists already
    "visits.checkinpolicy": {**NO_ADD, **NO_DELETE},  # likewise
    "claims.holdinglimit": {},
    "claims.claim": READ_ONLY,
    "claims.ownershipevent": READ_ONLY,
    "claims.dispute": READ_ONLY,
    "webhooks.endpoint": READ_ONLY,  # registered and switched on the webhooks page, where each change is audited
    "webhooks.delivery": READ_ONLY,
}


def model_admin_rows(model, admin_answers):
    """The five views of one ModelAdmin, plus its unnamed <object_id>/ shortcut to the change page."""
    app_label, model_name = model.split(".")
    prefix = f"admin:{app_label}_{model_name}"
    rows = {
        f"{prefix}_{view}": admin_answers.get(view, OK) for view in ("changelist", "add", "change", "delete", "history")
    }
    rows[f"admin/{app_label}/{model_name}/<path:object_id>/"] = both(f"{prefix}_change")
    changelist = f"{prefix}_changelist"
    return {
        key: admin_site(tuple(changelist if answer == CHANGELIST else answer for answer in admin), signed_out=LOGIN)
        for key, admin in rows.items()
    }


EXPECTED |= {
    key: row for model, answers in ADMIN_MODELS.items() for key, row in model_admin_rows(model, answers).items()
}
EXPECTED["admin:auth_user_password_change"] = admin_site(OK, signed_out=LOGIN)  # set a user's password
