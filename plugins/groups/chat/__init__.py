"""Group chat rooms and the anonymous partner chat: messages, history, edits, deletion, reports, rate limits."""
