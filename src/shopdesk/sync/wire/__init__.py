"""How a counter talks to the central server: the transport protocol, the direct
Postgres connection, the REST (PostgREST) door, and the pokes (LISTEN/NOTIFY and
Supabase Realtime) that wake an idle counter. Qt-free; see each module's contract."""
