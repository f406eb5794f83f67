"""Certificates as Open Badges 3.0 credentials: signed, verifiable by anyone, revocable.

keys.py signs (P-256 or Ed25519 keys kept outside the database), credential.py builds and
stores each certificate's OpenBadgeCredential as a VC-JOSE compact JWS, status.py publishes
the Bitstring Status List, check.py verifies a credential someone presents, baking.py puts a
credential into a badge image and takes it out, views.py serves the public documents.
"""
