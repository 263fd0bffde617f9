// <rose-ash-events calendar="slug" limit="5"></rose-ash-events>
// A calendar's upcoming events on any site. It asks the origin this script was
// loaded from (so it needs no configuration) and renders into its shadow root
// with textContent only: nothing from the feed is ever parsed as HTML.
(() => {
  const script = document.currentScript;
  const origin = script ? new URL(script.src).origin : "";

  const when = (event) => {
    // In the event's own zone, named: dateStyle cannot be combined with timeZoneName.
    const options = event.all_day
      ? { dateStyle: "medium", timeZone: event.time_zone }
      : { dateStyle: "medium", timeStyle: "short", timeZone: event.time_zone };
    const text = new Intl.DateTimeFormat(undefined, options).format(new Date(event.start));
    return event.all_day ? text : `${text} (${event.time_zone})`;
  };

  class RoseAshEvents extends HTMLElement {
    static get observedAttributes() {
      return ["calendar", "limit"];
    }

    connectedCallback() {
      if (!this.shadowRoot) this.attachShadow({ mode: "open" });
      this.load();
    }

    attributeChangedCallback() {
      if (this.shadowRoot) this.load();
    }

    async load() {
      const slug = this.getAttribute("calendar") || "";
      const limit = this.getAttribute("limit") || "5";
      const root = this.shadowRoot;
      root.replaceChildren(this.styles());
      const url = `${origin}/widgets/${encodeURIComponent(slug)}/events.json?limit=${encodeURIComponent(limit)}`;
      let data;
      try {
        const response = await fetch(url, { credentials: "omit" });
        if (!response.ok) throw new Error(String(response.status));
        data = await response.json();
      } catch (error) {
        root.append(this.text("p", "Events are not available right now."));
        return;
      }
      const section = document.createElement("section");
      const heading = this.text("h2", "");
      const link = this.text("a", data.calendar.name);
      link.href = data.calendar.url;
      heading.append(link);
      section.append(heading);
      if (data.events.length === 0) {
        section.append(this.text("p", "Nothing scheduled."));
      } else {
        const list = document.createElement("ul");
        for (const event of data.events) {
          const item = document.createElement("li");
          const title = this.text("a", event.title);
          title.href = event.url;
          title.className = "title";
          item.append(title, this.text("span", when(event) + (event.location ? " · " + event.location : "")));
          list.append(item);
        }
        section.append(list);
      }
      root.append(section);
    }

    text(tag, value) {
      const node = document.createElement(tag);
      node.textContent = value;
      return node;
    }

    styles() {
      const style = document.createElement("style");
      style.textContent = `
        :host { display: block; font: inherit; }
        h2 { font-size: 1.1em; margin: 0 0 .5em; }
        ul { list-style: none; margin: 0; padding: 0; }
        li { margin: 0 0 .6em; }
        .title { display: block; font-weight: 600; }
        span { font-size: .9em; opacity: .8; }`;
      return style;
    }
  }

  if (!customElements.get("rose-ash-events")) customElements.define("rose-ash-events", RoseAshEvents);
})();
