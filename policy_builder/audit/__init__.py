"""Audit an employer's current policy against the clause library (issue 19).

read: the document as passages; match: which library actions each passage covers or contradicts.
"""
