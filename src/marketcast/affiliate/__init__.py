"""Affiliate: collaborations (open and targeted), showcases, links and attribution, commissions, statements."""
