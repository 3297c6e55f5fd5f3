-- A Flyway callback, run by the owner after every migrate: the API gateway's login (${reader_user}), which reads the
-- windows from AWS through the VPN. A role made here, not through Cloud SQL's API (a user made there is a member of
-- cloudsqlsuperuser), holding analytics_reader and nothing else. Its password arrives as a SCRAM-SHA-256 verifier
-- (migrate.sh computes it from RESULTS_READER_PASSWORD), so the plain password never reaches the server, its
-- statement log or pgAudit. Every run sets the verifier given, so a new password replaces the old one; with no
-- password given, the login is neither made nor changed (the first deploys, before AWS has generated it).
DO $login$
DECLARE
  login CONSTANT text := '${reader_user}';
  verifier CONSTANT text := '${reader_verifier}';
  beyond text;
BEGIN
  IF verifier = '' THEN
    RAISE NOTICE 'no password for %: the login is neither made nor changed', login;
    RETURN;
  END IF;
  IF verifier !~ '^SCRAM-SHA-256\$[0-9]+:[A-Za-z0-9+/]+=*\$[A-Za-z0-9+/]+=*:[A-Za-z0-9+/]+=*$' THEN
    RAISE EXCEPTION 'the password of % must arrive as a SCRAM-SHA-256 verifier, not as it is', login;
  END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = login) THEN
    EXECUTE format(
      'CREATE ROLE %I LOGIN INHERIT NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD %L',
      login, verifier);
  ELSE
    EXECUTE format('ALTER ROLE %I LOGIN INHERIT PASSWORD %L', login, verifier);
  END IF;
  -- Attributes only a superuser could take away: refuse to go on rather than leave a login that holds more.
  SELECT string_agg(attribute, ', ') INTO beyond FROM pg_roles,
    LATERAL (VALUES ('SUPERUSER', rolsuper), ('CREATEDB', rolcreatedb), ('CREATEROLE', rolcreaterole),
      ('REPLICATION', rolreplication), ('BYPASSRLS', rolbypassrls)) AS a (attribute, held)
    WHERE rolname = login AND held;
  IF beyond IS NOT NULL THEN
    RAISE EXCEPTION '% must hold analytics_reader only, but has %: remove them (ALTER ROLE, as a superuser)',
      login, beyond;
  END IF;
  EXECUTE format('GRANT analytics_reader TO %I WITH INHERIT TRUE', login);
  SELECT string_agg(quote_ident(granted.rolname), ', ' ORDER BY granted.rolname) INTO beyond
    FROM pg_auth_members m
    JOIN pg_roles granted ON granted.oid = m.roleid
    JOIN pg_roles member ON member.oid = m.member
    WHERE member.rolname = login AND granted.rolname <> 'analytics_reader';
  IF beyond IS NOT NULL THEN
    RAISE EXCEPTION '% must hold analytics_reader only, but is also a member of %: revoke them', login, beyond;
  END IF;
END
$login$;
