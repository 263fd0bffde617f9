"""Settings specific to the blog app."""

HOME_PAGE_POSTS = 13  # one feature card and a grid of twelve
HOME_PAGE_EVENTS = 4  # in the aside, from the events app
TAG_PAGE_POSTS = 24
POST_PAGE_EVENTS = 5  # the post's own events, when it has a calendar
