-- 1. The pipeline page's rows in one statement: the 50 (+1, to know there
-- is a next page) open deals by close date, their accounts, their teams,
-- and each deal's accepted quote with its lines and products.
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
          FROM opportunity_team_members t WHERE t.opportunity_id = p.id) AS team,
       q.id AS quote_id, q.version, q.total, q.currency AS quote_currency,
       (SELECT json_agg(json_build_object('position', l.position, 'quantity', l.quantity,
                'unit_price', l.unit_price, 'discount', l.discount_percent, 'net', l.net,
                'sku', pr.sku, 'name', pr.name) ORDER BY l.position)
          FROM quote_lines l JOIN products pr ON pr.id = l.product_id
         WHERE l.quote_id = q.id) AS lines
FROM page p
JOIN accounts a ON a.id = p.account_id
LEFT JOIN quotes q ON q.opportunity_id = p.id AND q.status = 'ACCEPTED'
ORDER BY p.expected_close_date, p.id;
