-- 4. Aging over the whole book in EUR at the end of :asof: the overall
-- buckets, then the first page of 50 accounts (most owed first, with the
-- account's name), as the API answers q4. Only receivables still open at
-- :asof are read (settled_at, and its partial index); payments count up to
-- :asof, so one settled later still owes what had not arrived by then.
WITH owed AS (
  SELECT account_id, due_date, sum(owed) AS owed
  FROM (
    SELECT r.account_id, r.due_date,
           r.amount_minor - COALESCE((SELECT sum(p.amount_minor) FROM payments p
                                      WHERE p.receivable_id = r.id
                                        AND p.received_at < (:asof::date + 1)::timestamptz), 0) AS owed
    FROM receivables r
    WHERE r.currency = 'EUR'
      AND r.invoiced_at < (:asof::date + 1)::timestamptz
      AND (r.settled_at IS NULL OR r.settled_at >= (:asof::date + 1)::timestamptz)
      AND r.status <> 'CANCELLED'
      AND (r.status <> 'WRITTEN_OFF' OR r.closed_at >= (:asof::date + 1)::timestamptz)
  ) per_receivable
  GROUP BY account_id, due_date
)
SELECT sum(owed) FILTER (WHERE due_date >= :asof::date) AS current,
       sum(owed) FILTER (WHERE :asof::date - due_date BETWEEN 1 AND 30) AS days_1_30,
       sum(owed) FILTER (WHERE :asof::date - due_date BETWEEN 31 AND 60) AS days_31_60,
       sum(owed) FILTER (WHERE :asof::date - due_date BETWEEN 61 AND 90) AS days_61_90,
       sum(owed) FILTER (WHERE :asof::date - due_date > 90) AS over_90,
       sum(owed) AS total
FROM owed
WHERE owed > 0;

WITH owed AS (
  SELECT account_id, due_date, sum(owed) AS owed
  FROM (
    SELECT r.account_id, r.due_date,
           r.amount_minor - COALESCE((SELECT sum(p.amount_minor) FROM payments p
                                      WHERE p.receivable_id = r.id
                                        AND p.received_at < (:asof::date + 1)::timestamptz), 0) AS owed
    FROM receivables r
    WHERE r.currency = 'EUR'
      AND r.invoiced_at < (:asof::date + 1)::timestamptz
      AND (r.settled_at IS NULL OR r.settled_at >= (:asof::date + 1)::timestamptz)
      AND r.status <> 'CANCELLED'
      AND (r.status <> 'WRITTEN_OFF' OR r.closed_at >= (:asof::date + 1)::timestamptz)
  ) per_receivable
  GROUP BY account_id, due_date
), per_account AS (
  SELECT account_id,
         sum(owed) FILTER (WHERE due_date >= :asof::date) AS current,
         sum(owed) FILTER (WHERE :asof::date - due_date BETWEEN 1 AND 30) AS days_1_30,
         sum(owed) FILTER (WHERE :asof::date - due_date BETWEEN 31 AND 60) AS days_31_60,
         sum(owed) FILTER (WHERE :asof::date - due_date BETWEEN 61 AND 90) AS days_61_90,
         sum(owed) FILTER (WHERE :asof::date - due_date > 90) AS over_90,
         sum(owed) AS total
  FROM owed
  WHERE owed > 0
  GROUP BY account_id
  ORDER BY total DESC, account_id
  LIMIT 50
)
SELECT a.id, a.name, pa.current, pa.days_1_30, pa.days_31_60, pa.days_61_90, pa.over_90, pa.total
FROM per_account pa JOIN accounts a ON a.id = pa.account_id
ORDER BY pa.total DESC, pa.account_id;
