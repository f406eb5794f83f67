"""Outreach: sessions navigators log, programme reports, charts, safe exports."""
