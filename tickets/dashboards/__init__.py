"""Dashboard selectors of repair cases (SLA, service quality, early warnings) and the drill-down from a
figure to the cases behind it. They aggregate in PostgreSQL and take the user who asks; the pages, API and
exports that show them live in the ``dashboards`` app."""
