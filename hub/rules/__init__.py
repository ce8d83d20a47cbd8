"""Pure rules of the domain: state names and transitions, totals. No session, no web, no words."""
