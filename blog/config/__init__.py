"""Settings specific to the blog app."""

HOME_PAGE_POSTS = 12  # a grid of twelve under the featured posts
HOME_FEATURED_POSTS = 3
HOME_PAGE_EVENTS = 4  # in the aside, from the events app
TAG_PAGE_POSTS = 24
AUTHOR_PAGE_POSTS = 24
FEED_POSTS = 20
SEARCH_RESULTS = 20
POST_PAGE_EVENTS = 5  # the post's own events, when it has a calendar
MAX_PAGE = 10_000  # deeper than any archive; a page number past it is a 400
