"""Use cases over the database: each takes a Session, flushes, and leaves the commit to its caller."""
