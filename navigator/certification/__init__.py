"""Certification: tracks, eligibility, issuing, public verification, PDF certificates, exports."""
