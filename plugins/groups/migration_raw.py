"""Raw migration steps Piccolo cannot express (partial unique indexes, generated tsvector columns).

Development only: the initial migration runs these; before the plugin ships they are frozen into the migration.
"""

STEPS: list[str] = [
    # --- groups, members, invitations, followers ---
    # --- chat ---
    # --- "+1" ---
]
