"""Settings specific to the federation app."""

LOCAL_TIMELINE_NOTES = 20

# Sign-in is limited per address and per account (failures only, so members
# are not locked out by their own successful sign-ins); windows in seconds.
SIGNIN_LIMIT_PER_IP = (30, 15 * 60)
SIGNIN_LIMIT_PER_ACCOUNT = (5, 15 * 60)
SIGNUP_LIMIT_PER_IP = (10, 60 * 60)
RESET_LIMIT_PER_IP = (10, 60 * 60)
RESET_LIMIT_PER_ACCOUNT = (3, 60 * 60)
PASSWORD_RESET_HOURS = 1
EMAIL_VERIFICATION_DAYS = 7
