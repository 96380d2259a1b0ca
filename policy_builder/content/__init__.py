"""The content people maintain, loaded and checked: questionnaire, clause library, local clauses, version history."""
