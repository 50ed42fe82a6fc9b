"""Background work: rows in the database are the work; a queue engine only wakes a worker."""
