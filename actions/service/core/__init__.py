"""The database, its tables and the settings: private to the service layer (only actions/service imports db and models)."""
