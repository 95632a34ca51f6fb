-- 4. Aging over the whole book in one statement: what each account owes
-- in EUR at the end of :asof, per bucket, with the account's name.
WITH paid AS (
  SELECT p.receivable_id, sum(p.amount_minor) AS paid
  FROM payments p
  WHERE p.received_at < (:asof::date + 1)::timestamptz
  GROUP BY p.receivable_id
), owed AS (
  SELECT r.account_id, r.due_date, r.amount_minor - COALESCE(paid.paid, 0) AS owed
  FROM receivables r LEFT JOIN paid ON paid.receivable_id = r.id
  WHERE r.currency = 'EUR'
    AND r.invoiced_at < (:asof::date + 1)::timestamptz
    AND r.status <> 'CANCELLED'
    AND (r.status <> 'WRITTEN_OFF' OR r.closed_at >= (:asof::date + 1)::timestamptz)
)
SELECT a.id, a.name,
       sum(owed) FILTER (WHERE due_date >= :asof::date) AS current,
       sum(owed) FILTER (WHERE :asof::date - due_date BETWEEN 1 AND 30) AS days_1_30,
       sum(owed) FILTER (WHERE :asof::date - due_date BETWEEN 31 AND 60) AS days_31_60,
       sum(owed) FILTER (WHERE :asof::date - due_date BETWEEN 61 AND 90) AS days_61_90,
       sum(owed) FILTER (WHERE :asof::date - due_date > 90) AS over_90,
       sum(owed) AS total
FROM owed JOIN accounts a ON a.id = owed.account_id
WHERE owed > 0
GROUP BY a.id, a.name
ORDER BY a.id;
