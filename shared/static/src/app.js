// The one script every app loads (deferred). Pages work without it; htmx is
// here for progressive enhancement. Its config comes from the
// <meta name="htmx-config"> tag in base.html.
import htmx from "htmx.org";

window.htmx = htmx;
