"""The database, its tables and the settings. db and models are private: only actions/service imports them."""
