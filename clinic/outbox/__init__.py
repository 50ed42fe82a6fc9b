"""The transactional outbox: every outgoing message is a row written in the transaction of
what causes it, and delivered later by a worker with retries (never inline, never twice)."""
