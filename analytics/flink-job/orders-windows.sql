-- analytics: 1-minute tumbling event-time windows of order.created events (topic orders) into one
-- analytics.window v1 CloudEvent per closed, non-empty window (topic analytics-results), and one row per closed
-- window in the results database (table analytics_windows, upserted on the window's start).
--
-- The semantics are those of the TypeScript twin (services/analytics) and are held to the same test vectors
-- (services/analytics/vectors, run on Flink by scripts/flink-vectors.sh). Flink SQL 1.20.
--
-- A template: render.sh fills in each dollar-brace placeholder below and fails on any it does not know. Each
-- is a plain value except KAFKA_CLIENT_OPTIONS, SCAN_OPTIONS and RESULTS_JDBC_OPTIONS, which are zero or more
-- `'key' = 'value',` lines: the Kafka client's security settings; where a run starts and, bounded, ends; the
-- results database's login.

-- Windows are aligned to UTC minutes and reported in UTC.
SET 'table.local-time-zone' = 'UTC';
SET 'pipeline.name' = 'analytics-orders-windows';
-- One watermark for the whole stream, as the vectors assume (see services/analytics/README.md, "Partitions").
SET 'parallelism.default' = '${PARALLELISM}';
-- With several partitions, one that receives nothing for this long stops holding the watermark back.
SET 'table.exec.source.idle-timeout' = '${SOURCE_IDLE_TIMEOUT}';

CREATE TEMPORARY TABLE orders (
  specversion STRING,
  id STRING,
  type STRING,
  `time` STRING,
  -- amount is read as text: Flink's JSON format would truncate 10.5 to a BIGINT 10, where it must be refused.
  data ROW<userId STRING, total ROW<amount STRING, currency STRING>>,
  -- Event time is the CloudEvent `time`, an RFC 3339 instant (`Z` or an offset), to the millisecond (digits
  -- past the third are dropped, as in the twin). A record that is not a valid order.created v1 event gets the
  -- epoch: it cannot move the watermark and the filter below drops it (the twin dead-letters it).
  event_time AS CASE
    WHEN specversion = '1.0'
      AND type = 'com.shopfront.order.created.v1'
      AND CHAR_LENGTH(TRIM(id)) > 0
      AND CHAR_LENGTH(TRIM(data.userId)) > 0
      AND REGEXP(data.total.amount, '^\d{1,16}$')
      AND TRY_CAST(data.total.amount AS BIGINT) <= 9007199254740991
      AND REGEXP(data.total.currency, '^[A-Z]{3}$')
      AND REGEXP(`time`, '^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$')
    THEN TIMESTAMPADD(
      MINUTE,
      CASE
        WHEN `time` LIKE '%Z' THEN 0
        ELSE (CASE WHEN REGEXP_EXTRACT(`time`, '([+-])\d{2}:\d{2}$', 1) = '+' THEN -1 ELSE 1 END)
          * (CAST(REGEXP_EXTRACT(`time`, '[+-](\d{2}):\d{2}$', 1) AS INT) * 60
            + CAST(REGEXP_EXTRACT(`time`, '[+-]\d{2}:(\d{2})$', 1) AS INT))
      END,
      CAST(
        REGEXP_EXTRACT(`time`, '^(\d{4}-\d{2}-\d{2})T', 1) || ' '
          || REGEXP_EXTRACT(`time`, 'T(\d{2}:\d{2}:\d{2}(\.\d{1,3})?)', 1)
        AS TIMESTAMP(3)))
    ELSE TIMESTAMP '1970-01-01 00:00:00.000'
  END,
  -- Bounded out-of-orderness: how far behind the newest event time an order may arrive and still count
  -- (seconds with three decimals, below 1000: SECOND(3) is the widest leading precision Flink accepts).
  WATERMARK FOR event_time AS event_time - INTERVAL '${OUT_OF_ORDERNESS_SECONDS}' SECOND(3)
) WITH (
  'connector' = 'kafka',
  'topic' = '${ORDERS_TOPIC}',
  'properties.bootstrap.servers' = '${KAFKA_BOOTSTRAP_SERVERS}',
  'properties.group.id' = '${CONSUMER_GROUP}',
  ${KAFKA_CLIENT_OPTIONS}
  'scan.startup.mode' = '${SCAN_STARTUP_MODE}',
  'properties.auto.offset.reset' = 'earliest',
  ${SCAN_OPTIONS}
  -- The watermark follows every event, not a 200 ms timer, so which events are late does not depend on timing.
  'scan.watermark.emit.strategy' = 'on-event',
  'format' = 'json',
  -- A record that is not JSON, or has a field of the wrong type, becomes a row of nulls and is dropped below.
  'json.ignore-parse-errors' = 'true',
  'json.fail-on-missing-field' = 'false'
);

CREATE TEMPORARY TABLE analytics_results (
  specversion STRING,
  id STRING,
  source STRING,
  type STRING,
  `time` STRING,
  subject STRING,
  datacontenttype STRING,
  data ROW<
    windowStart STRING,
    windowEnd STRING,
    orderCount BIGINT,
    revenue MAP<STRING, BIGINT>,
    uniqueUsers BIGINT>
) WITH (
  'connector' = 'kafka',
  'topic' = '${RESULTS_TOPIC}',
  'properties.bootstrap.servers' = '${KAFKA_BOOTSTRAP_SERVERS}',
  ${KAFKA_CLIENT_OPTIONS}
  -- The record key is the window start, as the twin's.
  'key.format' = 'raw',
  'key.fields' = 'subject',
  'value.format' = 'json',
  'value.fields-include' = 'ALL',
  'sink.delivery-guarantee' = 'at-least-once'
);

-- The results database (migrations/, applied before the job starts). Upsert on the window's start: a window
-- emitted again after a restart from a checkpoint, or by a rerun over the same orders, overwrites its row.
-- Instants and the revenue object are sent as text that PostgreSQL reads as its column's type
-- (`stringtype=unspecified` in the URL): timestamptz and jsonb, whatever the JVM's time zone.
CREATE TEMPORARY TABLE window_rows (
  window_start STRING,
  window_end STRING,
  order_count BIGINT,
  revenue STRING,
  unique_users BIGINT,
  PRIMARY KEY (window_start) NOT ENFORCED
) WITH (
  'connector' = 'jdbc',
  'url' = '${RESULTS_JDBC_URL}',
  'table-name' = 'analytics_windows',
  ${RESULTS_JDBC_OPTIONS}
  'sink.max-retries' = '3'
);

CREATE TEMPORARY VIEW order_facts AS
SELECT
  id, event_time, data.userId AS user_id, TRY_CAST(data.total.amount AS BIGINT) AS amount, data.total.currency AS currency
FROM orders
WHERE event_time > TIMESTAMP '1970-01-01 00:00:00.000';

-- The three steps below are cascaded window aggregations: each emits a window's rows when the watermark passes
-- the window's last millisecond, with that instant (window_time) as their event time, so the next step puts
-- them in the same window and fires it at the same watermark. Nothing is emitted for a window before it closes,
-- and nothing twice.

-- 1. Deduplication per window and event id: the first delivery of an event counts, a redelivery into the
--    same window does not. A redelivery after its window fired is late and dropped by the window itself.
CREATE TEMPORARY VIEW distinct_orders AS
SELECT
  window_time AS closed_at,
  id,
  FIRST_VALUE(user_id) AS user_id,
  FIRST_VALUE(amount) AS amount,
  FIRST_VALUE(currency) AS currency
FROM TABLE(TUMBLE(TABLE order_facts, DESCRIPTOR(event_time), INTERVAL '${WINDOW_MINUTES}' MINUTE))
GROUP BY window_start, window_end, window_time, id;

-- 2. Per window: revenue per currency and, in the grouping set without currency, orders and unique users.
CREATE TEMPORARY VIEW window_parts AS
SELECT
  window_time AS closed_at,
  GROUPING(currency) AS is_total,
  currency,
  COUNT(*) AS orders,
  SUM(amount) AS revenue,
  COUNT(DISTINCT user_id) AS users
FROM TABLE(TUMBLE(TABLE distinct_orders, DESCRIPTOR(closed_at), INTERVAL '${WINDOW_MINUTES}' MINUTE))
GROUP BY window_start, window_end, window_time, GROUPING SETS ((currency), ());

-- 3. One row per window. The revenue map is built from `currency=sum` pairs (currencies are three letters, so
--    the separators cannot occur in them).
CREATE TEMPORARY VIEW windows AS
SELECT
  DATE_FORMAT(window_start, 'yyyy-MM-dd''T''HH:mm:ss.SSS''Z''') AS window_start,
  DATE_FORMAT(window_end, 'yyyy-MM-dd''T''HH:mm:ss.SSS''Z''') AS window_end,
  MAX(CASE WHEN is_total = 1 THEN orders END) AS order_count,
  CAST(
    STR_TO_MAP(LISTAGG(CASE WHEN is_total = 0 THEN currency || '=' || CAST(revenue AS STRING) END, ','), ',', '=')
    AS MAP<STRING, BIGINT>) AS revenue,
  MAX(CASE WHEN is_total = 1 THEN users END) AS unique_users,
  -- The same pairs as a JSON object for the database's jsonb column.
  '{' || LISTAGG(CASE WHEN is_total = 0 THEN '"' || currency || '":' || CAST(revenue AS STRING) END, ',') || '}'
    AS revenue_json
FROM TABLE(TUMBLE(TABLE window_parts, DESCRIPTOR(closed_at), INTERVAL '${WINDOW_MINUTES}' MINUTE))
GROUP BY window_start, window_end;

-- One job with both sinks: each closed window goes to analytics-results and to the results database.
EXECUTE STATEMENT SET
BEGIN
INSERT INTO analytics_results
SELECT
  '1.0',
  window_start || '/' || window_end,
  '/services/analytics',
  'com.shopfront.analytics.window.v1',
  window_end,
  window_start,
  'application/json',
  ROW(window_start, window_end, order_count, revenue, unique_users)
FROM windows;
INSERT INTO window_rows
SELECT window_start, window_end, order_count, revenue_json, unique_users
FROM windows;
END;
