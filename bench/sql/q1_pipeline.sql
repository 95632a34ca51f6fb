-- 1. The pipeline page's rows in one statement: the 50 (+1, to know there
-- is a next page) open deals by close date, their accounts, their teams.
WITH page AS (
  SELECT * FROM opportunities
  WHERE stage IN ('PROPOSE', 'NEGOTIATE')
  ORDER BY expected_close_date, id
  LIMIT 51
)
SELECT p.id, p.name, p.stage, p.expected_close_date, p.probability_override,
       p.amount_minor, p.currency, a.id AS account_id, a.name AS account_name, a.owner_id,
       (SELECT json_agg(json_build_object('user_id', t.user_id, 'role', t.role, 'added_at', t.added_at)
                        ORDER BY t.added_at)
          FROM opportunity_team_members t WHERE t.opportunity_id = p.id) AS team
FROM page p JOIN accounts a ON a.id = p.account_id
ORDER BY p.expected_close_date, p.id;
