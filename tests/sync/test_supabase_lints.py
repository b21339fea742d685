"""Supabase's database linter (splinter) finds nothing to warn a shop owner about.

The checks below restate, against the real central schema, the conditions of the
linter's security lints that concern what `central setup` creates: 0011 function
search_path mutable, 0028/0029 SECURITY DEFINER functions executable by anon or
authenticated through the REST API, 0008 RLS enabled without a policy. They are our
own queries, written from the lints' documented conditions.
"""

from __future__ import annotations

import psycopg

EXPOSED = ("public", "graphql_public")  # PostgREST's schemas on a default project


def test_every_function_pins_its_search_path(central_url: str) -> None:
    with psycopg.connect(central_url) as conn:
        mutable = conn.execute(
            "SELECT n.nspname || '.' || p.proname FROM pg_proc p JOIN pg_namespace n "
            "ON n.oid = p.pronamespace LEFT JOIN pg_depend d ON d.objid = p.oid "
            "AND d.deptype = 'e' WHERE n.nspname IN ('sync', 'sync_api', 'public') "
            "AND d.objid IS NULL AND NOT EXISTS (SELECT 1 FROM unnest(coalesce(p.proconfig, "
            "'{}')) c WHERE c LIKE 'search_path=%')").fetchall()
    assert mutable == []


def test_no_security_definer_function_is_exposed_to_the_api_roles(central_url: str) -> None:
    with psycopg.connect(central_url) as conn:
        exposed = conn.execute(
            "SELECT r, n.nspname || '.' || p.proname FROM pg_proc p JOIN pg_namespace n "
            "ON n.oid = p.pronamespace, unnest(ARRAY['anon', 'authenticated']) r "
            "WHERE p.prosecdef AND has_function_privilege(r, p.oid, 'EXECUTE') "
            "AND n.nspname = ANY(%s)", (list(EXPOSED),)).fetchall()
        doors = conn.execute(
            "SELECT p.proname, p.prosecdef, has_function_privilege('anon', p.oid, 'EXECUTE'), "
            "has_function_privilege('authenticated', p.oid, 'EXECUTE'), "
            "has_function_privilege('service_role', p.oid, 'EXECUTE') FROM pg_proc p "
            "JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public' "
            "AND p.proname LIKE 'shopdesk\\_%' ORDER BY 1").fetchall()
    assert exposed == []
    # The REST path runs as anon: only anon (and the terminals' group) may call the doors;
    # Supabase's default privileges would have granted the others too.
    assert doors == [(name, False, True, False, False) for name in
                     ("shopdesk_hello", "shopdesk_pull", "shopdesk_push", "shopdesk_webhook")]


def test_every_sync_table_has_rls_and_a_policy(central_url: str) -> None:
    with psycopg.connect(central_url) as conn:
        rows = conn.execute(
            "SELECT c.relname, c.relrowsecurity, count(p.polname) FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace LEFT JOIN pg_policy p "
            "ON p.polrelid = c.oid WHERE n.nspname = 'sync' AND c.relkind = 'r' "
            "AND c.relname <> 'alembic_version' GROUP BY c.relname, c.relrowsecurity").fetchall()
    assert rows and all(rls and policies >= 1 for _, rls, policies in rows), rows


def test_setup_is_repeatable_and_keeps_the_grants(central_url: str) -> None:
    """Running setup again (an upgrade of shopdesk) changes nothing of the above."""
    from shopdesk.sync import central

    assert central.setup(central_url) == central.CENTRAL_HEAD
    test_every_function_pins_its_search_path(central_url)
    test_no_security_definer_function_is_exposed_to_the_api_roles(central_url)
