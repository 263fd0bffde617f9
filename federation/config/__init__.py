"""Settings specific to the federation app."""

LOCAL_TIMELINE_NOTES = 20

# Sign-in is limited per address (IPv6: per /64) and per account and
# address pair, so a stranger guessing a known username cannot lock its
# member out; every attempt is counted before it is tried, and a success
# clears its pair. Windows in seconds.
SIGNIN_LIMIT_PER_IP = (30, 15 * 60)
SIGNIN_LIMIT_PER_ACCOUNT = (5, 15 * 60)
SIGNUP_LIMIT_PER_IP = (10, 60 * 60)
RESET_LIMIT_PER_IP = (10, 60 * 60)
RESET_LIMIT_PER_ACCOUNT = (3, 60 * 60)
PASSWORD_RESET_HOURS = 1
EMAIL_VERIFICATION_DAYS = 7
SIGN_IN_LINK_MINUTES = 15
SIGN_IN_LINK_LIMIT_PER_IP = (10, 60 * 60)
SIGN_IN_LINK_LIMIT_PER_ACCOUNT = (5, 60 * 60)
# Wrong second-factor codes per member: the sixth in a window is refused.
SECOND_FACTOR_LIMIT = (5, 15 * 60)
VERIFICATION_RESEND_LIMIT = (3, 60 * 60)
# Changing the password while signed in: wrong current passwords per member.
PASSWORD_CHANGE_LIMIT = (5, 15 * 60)
# A member without a password sets a first one only this soon after signing in.
FIRST_PASSWORD_MINUTES = 10
EMAIL_CHANGE_HOURS = 24
EMAIL_CHANGE_LIMIT = (5, 60 * 60)
