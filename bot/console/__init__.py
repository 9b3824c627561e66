"""The agent console: a staff web application mounted in the Rasa server at /webhooks/console/."""
