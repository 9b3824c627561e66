"""Voice of the customer (issue 18): listen (ingest), measure (metrics), find pain points (themes), track
(pain_points), verify (surveys) and show (charts, reports). Plain Python over the service layer's database."""
