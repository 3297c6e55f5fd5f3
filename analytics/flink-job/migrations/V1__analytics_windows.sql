-- The analytics job's results: one row per closed window, written by the Flink SQL job's JDBC sink as an upsert on
-- window_start, so a replay of the same orders (a restart from a checkpoint, a rerun) overwrites its rows instead of
-- adding more. Applied by Flyway (migrate.sh) as the database's owner before the job is submitted.

CREATE TABLE analytics_windows (
  window_start timestamptz PRIMARY KEY,
  window_end timestamptz NOT NULL,
  order_count bigint NOT NULL CHECK (order_count > 0),
  -- Currency (ISO 4217, three capital letters) -> revenue in that currency's minor units, never converted.
  revenue jsonb NOT NULL CHECK (jsonb_typeof(revenue) = 'object'),
  unique_users bigint NOT NULL CHECK (unique_users > 0 AND unique_users <= order_count),
  CHECK (window_end > window_start)
);

-- Who may do what, as roles without login: the job's identity is granted analytics_writer (by the callback
-- afterMigrate__grant_writer.sql), readers of the results analytics_reader. Only the owner may change the schema.
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'analytics_writer') THEN
    CREATE ROLE analytics_writer NOLOGIN;
  END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'analytics_reader') THEN
    CREATE ROLE analytics_reader NOLOGIN;
  END IF;
END
$$;

REVOKE ALL ON analytics_windows FROM PUBLIC;
-- An upsert (INSERT ... ON CONFLICT DO UPDATE) reads the conflicting row: SELECT besides INSERT and UPDATE.
GRANT SELECT, INSERT, UPDATE ON analytics_windows TO analytics_writer;
GRANT SELECT ON analytics_windows TO analytics_reader;
