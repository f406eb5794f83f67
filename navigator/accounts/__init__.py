"""People, roles, programmes, invitations and sign-in."""
