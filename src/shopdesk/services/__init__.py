"""Use cases over the database; each returns plain dataclasses, never ORM objects.

One subpackage per area of the shop (`customers`, `repairs`, `support`, `printing`,
`demo`); the plumbing every area shares stays here: `store` (the one writer and the
`Changes` it publishes), `audit` (the hash-chained trail), `settings` and `staff`
(who is acting, and what they may do).
"""
