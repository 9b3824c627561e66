"""Premium reminders: which are due, the customer's preferences, the words, delivery, web notices.

The process that runs them is actions/service/scheduler.py (`python -m actions.service.scheduler`).
"""
