"""What a therapist's listing earns: profile views, search appearances and inquiries per week,
counted in aggregate (no visitor, no search text, no row per visit).
(The counter: directory.insights.tally; pages: directory.insights.views.)"""
