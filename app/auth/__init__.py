"""Who is asking, and what they may see. Enforcement happens on the server, before any query runs."""
