-- 1b. 50 accepted quotes (newest first) with lines and products, each
-- quote's deal, account and team, in one statement.
WITH page AS (
  SELECT * FROM quotes WHERE status = 'ACCEPTED' ORDER BY created_at DESC, id DESC LIMIT 51
)
SELECT q.id, q.version, q.status, q.total, q.currency,
       (SELECT json_agg(json_build_object('position', l.position, 'quantity', l.quantity,
                'unit_price', l.unit_price, 'discount', l.discount_percent, 'net', l.net,
                'sku', pr.sku, 'name', pr.name) ORDER BY l.position)
          FROM quote_lines l JOIN products pr ON pr.id = l.product_id
         WHERE l.quote_id = q.id) AS lines,
       o.id AS opportunity_id, o.name, o.stage, o.expected_close_date,
       a.id AS account_id, a.name AS account_name,
       (SELECT json_agg(json_build_object('user_id', t.user_id, 'role', t.role))
          FROM opportunity_team_members t WHERE t.opportunity_id = o.id) AS team
FROM page q
JOIN opportunities o ON o.id = q.opportunity_id
JOIN accounts a ON a.id = o.account_id
ORDER BY q.created_at DESC, q.id DESC;
