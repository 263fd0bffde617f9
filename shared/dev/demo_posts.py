"""The bodies of the demo posts (`shared.dev.seed`), written as members would write them.

Each has several paragraphs and what a real post uses (headings, a list, a
quote), so the post page shows the typography it will carry, not an excerpt
repeated. Keyed by post slug; `ABOUT` is the About page.
"""

from __future__ import annotations

POST_BODIES: dict[str, str] = {
    "welcome-to-rose-ash": """
<p>Rose Ash started at a kitchen table, with six of us and a question: why do the
things we make and the news we share live on platforms none of us own? This site is
our answer. It belongs to the cooperative, which means it belongs to its members.</p>
<h2>What you will find here</h2>
<p>Everything runs under one sign-in, so you can move from one part to the next
without thinking about it:</p>
<ul>
<li><strong>The blog</strong>: stories, news and how-tos from members.</li>
<li><strong>The market</strong>: what our makers, bakers and growers have to sell.</li>
<li><strong>Events</strong>: markets, workshops and walks, with dates and places.</li>
<li><strong>The social hub</strong>: short notes from members, which other servers on
the fediverse can follow too.</li>
</ul>
<h2>Why a cooperative</h2>
<p>Each member has one vote, whatever they sell or write. The surplus goes back into
the cooperative and its neighbourhood; we publish the numbers every quarter.</p>
<blockquote><p>We wanted a corner of the web that works the way our street does: you
know who runs it, and you can knock on their door.</p></blockquote>
<p>If that sounds like your kind of place, create an account and say hello on the
social hub. We read everything.</p>
""",
    "the-winter-market-returns": """
<p>The winter market is back on the first Saturday of December, in the old tram
depot on Marsh Lane. Twelve stalls this year, three of them new, and the lantern walk
sets off from the gates at half past four.</p>
<h2>Who is coming</h2>
<ul>
<li>Hartley Ceramics, with a new ash-grey glaze (and seconds at half price).</li>
<li>Marsh Honey, with the last jars of the autumn harvest and beeswax candles.</li>
<li>Okafor Bakery, whose cinnamon buns sold out by eleven last year.</li>
<li>Nine more, from knitwear to hot sauce; the full list is on the market.</li>
</ul>
<h2>Getting there</h2>
<p>The number 12 bus stops at the depot every twenty minutes. There is no car park,
but there is a bike rack, and volunteers will mind prams and trolleys by the door.</p>
<blockquote><p>Bring a lantern if you have one. If you don't, the children's workshop
makes them from jam jars from two o'clock.</p></blockquote>
<p>Hot cider is on the cooperative, as ever. See you there.</p>
""",
    "notes-from-the-allotment": """
<p>The first hard frost came on Tuesday and the leeks stood up to it like soldiers.
Everything else on plot fourteen has gone quiet, which is exactly what November is
for.</p>
<h2>This month's jobs</h2>
<ol>
<li>Garlic in: two rows of a hardneck variety a neighbour swore by.</li>
<li>Leaves raked into the cage for next year's leaf mould.</li>
<li>The shed roof, finally felted. It kept the rain out on Sunday, a first.</li>
</ol>
<h2>What went wrong</h2>
<p>The brassicas, again. The netting was up, but a pigeon found the one gap and told
its friends. Next year the frames go in before the plants do.</p>
<blockquote><p>Half of growing is patience, the other half is string.</p></blockquote>
<p>If you have spare rhubarb crowns, the cooperative's shared plot would love one. Drop
a note on the social hub.</p>
""",
    "how-we-share-the-surplus": """
<p>Every stall on the market pays the cooperative five per cent of what it sells. Here
is where that money went last quarter, in plain numbers, as we promised.</p>
<h2>Where it went</h2>
<ul>
<li><strong>Running the site</strong>: hosting and backups, about a fifth.</li>
<li><strong>The winter market</strong>: hall hire, lights and the cider, about a third.</li>
<li><strong>The neighbourhood fund</strong>: grants to the school garden and the repair
café, the rest.</li>
</ul>
<h2>How we decide</h2>
<p>Members vote on the split at the quarterly meeting; anyone may propose a change,
and proposals are posted here a fortnight before the vote so that everyone can read
them first.</p>
<blockquote><p>Nobody gets rich from the cooperative, and that is the point: the money
stays on the street it came from.</p></blockquote>
<p>The full accounts are at the meeting, and any member may ask to see them at any
time.</p>
""",
    "a-beginners-guide-to-sourdough": """
<p>People ask me for the secret to my Saturday loaf. There isn't one: flour, water,
salt and a starter that is older than my youngest. What there is, is a routine.</p>
<h2>What you need</h2>
<ul>
<li>500 g strong white flour, or 450 g white and 50 g wholemeal.</li>
<li>350 g water, lukewarm.</li>
<li>100 g active starter (ask at the bakery stall: we give it away).</li>
<li>10 g salt.</li>
</ul>
<h2>The routine</h2>
<ol>
<li>Friday evening: mix flour and water, rest an hour, then add starter and salt.</li>
<li>Fold the dough four times, half an hour apart, then leave it overnight.</li>
<li>Saturday morning: shape, prove for two hours, bake hot in a lidded pot.</li>
</ol>
<blockquote><p>The dough tells you when it is ready. Your job is to be there when it
does.</p></blockquote>
<p>The next workshop is on the events page. Bring an apron and a jar for your
starter.</p>
""",
}

ABOUT = """
<p>Rose Ash is a cooperative of makers, writers and neighbours. It is owned by its
members: each has one vote, and the surplus goes back into the neighbourhood.</p>
<h2>What we run</h2>
<p>This site, with its blog, market, events and social hub, and the winter market in
the old tram depot.</p>
<h2>Joining</h2>
<p>Anyone who lives or works nearby may join. Create an account, then come to a
quarterly meeting to become a voting member.</p>
"""
