"""Premium reminders: which are due, the customer's preferences, the words, delivery, the scheduler, web notices."""
