"""The questionnaire as an interview: answers so far, previews of each choice, and the terminal wizard."""
