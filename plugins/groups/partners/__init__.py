"""The "+1" partner search: requests for an event, suggestions, proposals, the anonymous pair, joining as a pair."""
