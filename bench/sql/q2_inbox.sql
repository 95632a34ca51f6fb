-- 2. The inbox's rows in one statement: the 100 (+1) best-scored NEW
-- leads, the lead each duplicates, and the leads that duplicate each.
WITH page AS (
  SELECT * FROM leads WHERE status = 'NEW' ORDER BY score DESC, id DESC LIMIT 101
)
SELECT p.id, p.first_name, p.last_name, p.email, p.company, p.source, p.score,
       p.created_at, p.score_factors,
       d.id AS duplicate_of_id, d.email AS duplicate_of_email, d.created_at AS duplicate_of_created_at,
       (SELECT json_agg(json_build_object('id', x.id, 'email', x.email, 'created_at', x.created_at)
                        ORDER BY x.id)
          FROM leads x WHERE x.duplicate_of_lead_id = p.id) AS duplicates
FROM page p LEFT JOIN leads d ON d.id = p.duplicate_of_lead_id
ORDER BY p.score DESC, p.id DESC;
