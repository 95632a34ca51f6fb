-- 3. One deal from lead to cash, as one JSON document in one statement.
SELECT json_build_object(
  'opportunity', (SELECT row_to_json(o) FROM opportunities o WHERE o.id = :opp::uuid),
  'account', (SELECT json_build_object('id', a.id, 'name', a.name)
                FROM accounts a JOIN opportunities o ON o.account_id = a.id WHERE o.id = :opp::uuid),
  'team', (SELECT json_agg(t) FROM opportunity_team_members t WHERE t.opportunity_id = :opp::uuid),
  'lead', (SELECT row_to_json(l) FROM leads l JOIN opportunities o ON o.lead_id = l.id
            WHERE o.id = :opp::uuid),
  'quotes', (SELECT json_agg(json_build_object('quote', q, 'lines',
                (SELECT json_agg(json_build_object('line', ql, 'sku', pr.sku) ORDER BY ql.position)
                   FROM quote_lines ql JOIN products pr ON pr.id = ql.product_id
                  WHERE ql.quote_id = q.id)) ORDER BY q.version)
               FROM quotes q WHERE q.opportunity_id = :opp::uuid),
  'contracts', (SELECT json_agg(json_build_object('contract', c, 'terms',
                  (SELECT json_agg(m ORDER BY m.position) FROM payment_milestones m
                    WHERE m.contract_id = c.id)))
                  FROM contracts c WHERE c.opportunity_id = :opp::uuid),
  'orders', (SELECT json_agg(json_build_object('order', p, 'lines',
               (SELECT json_agg(pl) FROM purchase_order_lines pl WHERE pl.purchase_order_id = p.id)))
               FROM purchase_orders p JOIN contracts c ON c.id = p.contract_id
              WHERE c.opportunity_id = :opp::uuid),
  'receivables', (SELECT json_agg(json_build_object('receivable', r, 'payments',
                    (SELECT json_agg(pm) FROM payments pm WHERE pm.receivable_id = r.id)))
                    FROM receivables r JOIN contracts c ON c.id = r.contract_id
                   WHERE c.opportunity_id = :opp::uuid)
);
