"""The service layer: business rules in plain Python (no Rasa), the only code that opens the database.

One sub-package per capability (customers, policies, claims, reminders, human_lane, messaging) over
core/ (database, tables, settings; core.db and core.models are private to this layer). Every layer may
use constants, language, formatting and numbers. Commands: staff_cli, scheduler, seed
(`python -m actions.service.<name>`). README's Architecture section says who may import whom.
"""
