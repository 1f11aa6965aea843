"""Incentive programs: operator-defined criteria over a period, enrollment, standings and benefits."""
