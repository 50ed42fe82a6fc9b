"""Background work: database rows are the truth, a queue (RQ on Redis) only wakes workers."""
