"""Survey waves: strata and π, reproducible selection, invitations, slips, audit and privacy."""
