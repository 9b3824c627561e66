"""Claims and complaints: reports, the claim form's answers, event dates as people say them, work orders."""
