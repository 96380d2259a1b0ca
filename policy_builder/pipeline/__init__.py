"""From a profile to a policy: read the answers, assemble the clauses that apply, find the gaps, the rules in force."""
