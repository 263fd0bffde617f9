// The editor's cards: TipTap nodes whose JSON the server renders
// (shared/services/blog/rendering.py knows each type and attribute by name).
// Atom cards edit their attributes in a small vanilla-DOM node view.

import { Node, mergeAttributes } from "@tiptap/core";

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (value !== undefined && value !== null) node.setAttribute(key, value);
  }
  for (const child of children) node.append(child);
  return node;
}

// A node view over `render(attrs, set)`: `set(patch)` updates the node's attributes.
function atomView(name, render) {
  return ({ node, editor, getPos }) => {
    let attrs = node.attrs;
    const dom = el("div", { class: `editor-card editor-card--${name}`, "data-card": name });
    const set = (patch) => {
      const pos = getPos();
      if (typeof pos !== "number") return;
      // `attrs` follows in update(), which redraws when they changed.
      editor.view.dispatch(editor.state.tr.setNodeMarkup(pos, undefined, { ...attrs, ...patch }));
    };
    const draw = () => dom.replaceChildren(...render(attrs, set, editor));
    draw();
    return {
      dom,
      update(updated) {
        if (updated.type.name !== node.type.name) return false;
        const redraw = JSON.stringify(updated.attrs) !== JSON.stringify(attrs);
        attrs = updated.attrs;
        // Not while the author is typing into one of the card's own fields.
        const typing =
          dom.contains(document.activeElement) &&
          document.activeElement.matches("input, textarea, select");
        if (redraw && !typing) draw();
        return true;
      },
      stopEvent: (event) => event.target !== dom,
      ignoreMutation: () => true,
    };
  };
}

function textField(label, value, onChange, props = {}) {
  const input = el("input", { value: value || "", "aria-label": label, placeholder: label, ...props });
  input.addEventListener("input", () => onChange(input.value));
  // Enter in a card's field finishes the field; it must not submit the whole post.
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter") event.preventDefault();
  });
  return el("label", { class: "editor-card__field" }, el("span", {}, label), input);
}

function atomNode(name, attributes, render) {
  return Node.create({
    name,
    group: "block",
    atom: true,
    draggable: true,
    addAttributes() {
      return Object.fromEntries(
        Object.entries(attributes).map(([key, fallback]) => [key, { default: fallback }]),
      );
    },
    parseHTML: () => [{ tag: `div[data-card="${name}"]` }],
    renderHTML: ({ HTMLAttributes }) => ["div", mergeAttributes({ "data-card": name }, HTMLAttributes)],
    addNodeView: () => atomView(name, render),
  });
}

export const ImageCard = atomNode(
  "imageCard",
  { src: null, alt: "", caption: "", width: "regular" },
  (attrs, set) => {
    const width = el(
      "select",
      { "aria-label": "Image width", onchange: (event) => set({ width: event.target.value }) },
      ...["regular", "wide", "full"].map((value) =>
        el("option", { value, ...(attrs.width === value ? { selected: "" } : {}) }, value),
      ),
    );
    return [
      attrs.src ? el("img", { src: attrs.src, alt: attrs.alt || "" }) : el("p", {}, "Uploading…"),
      textField("Alt text", attrs.alt, (alt) => set({ alt }), { "data-field": "alt" }),
      textField("Caption", attrs.caption, (caption) => set({ caption }), { "data-field": "caption" }),
      el("label", { class: "editor-card__field" }, el("span", {}, "Width"), width),
    ];
  },
);

export const Gallery = atomNode("gallery", { images: [], caption: "" }, (attrs, set) => [
  el("div", { class: "gallery__images" }, ...attrs.images.map((image) => el("img", { src: image.src, alt: image.alt || "" }))),
  textField("Gallery caption", attrs.caption, (caption) => set({ caption })),
]);

export const Bookmark = atomNode(
  "bookmark",
  { url: "", title: "", description: "" },
  (attrs, set) => [
    el("p", { class: "muted" }, "Bookmark: the link, and the title and description readers see."),
    textField("Link (https://…)", attrs.url, (url) => set({ url }), { type: "url", "data-field": "url" }),
    textField("Title", attrs.title, (title) => set({ title }), { "data-field": "title" }),
    textField("Description", attrs.description, (description) => set({ description })),
  ],
);

export const HtmlCard = atomNode("htmlCard", { html: "" }, (attrs, set) => {
  const area = el("textarea", { rows: "4", "aria-label": "HTML", placeholder: "<p>HTML (sanitized when saved)</p>" });
  area.value = attrs.html || "";
  area.addEventListener("input", () => set({ html: area.value }));
  return [el("p", { class: "muted" }, "HTML card: scripts and event handlers are removed when saved."), area];
});

// A product or event picked from a search list served by the blog's staff routes.
function pickerCard(name, kind, label) {
  return atomNode(name, { id: null, title: "" }, (attrs, set, editor) => {
    const base = editor.options.element.closest("form")?.dataset.cards || "/admin/posts/cards/";
    const results = el("ul", { class: "editor-card__choices", role: "listbox", "aria-label": `${label}s` });
    const search = async (query) => {
      const response = await fetch(`${base}${kind}.json?q=${encodeURIComponent(query)}`, {
        headers: { Accept: "application/json" },
      });
      const { choices = [] } = response.ok ? await response.json() : {};
      results.replaceChildren(
        ...choices.map((choice) =>
          el(
            "li",
            {},
            el(
              "button",
              {
                type: "button",
                class: "secondary outline",
                "data-choice": choice.id,
                onclick: () => set({ id: choice.id, title: choice.title }),
              },
              `${choice.title} — ${choice.detail}`,
            ),
          ),
        ),
      );
    };
    const find = `Find ${label === "Event" ? "an event" : "a product"}`;
    const input = el("input", { type: "search", placeholder: find, "aria-label": find });
    input.addEventListener("input", () => search(input.value));
    input.addEventListener("keydown", (event) => {
      if (event.key === "Enter") event.preventDefault(); // searching, not submitting
    });
    if (!attrs.id) queueMicrotask(() => search("")); // once chosen, the list waits for a search
    const chosen = attrs.id
      ? el("p", { class: "editor-card__chosen" }, `${label}: `, el("strong", {}, attrs.title))
      : el("p", { class: "muted" }, `${label} card: pick one; readers see its live price and details.`);
    return [chosen, input, results];
  });
}

export const ProductCard = pickerCard("productCard", "products", "Product");
export const EventCard = pickerCard("eventCard", "events", "Event");

export const Callout = Node.create({
  name: "callout",
  group: "block",
  content: "paragraph+",
  defining: true,
  addAttributes: () => ({ emoji: { default: "💡" } }),
  parseHTML: () => [{ tag: "div.callout" }],
  renderHTML: ({ HTMLAttributes }) => ["div", mergeAttributes(HTMLAttributes, { class: "callout" }), 0],
});

export const CARDS = [ImageCard, Gallery, Bookmark, HtmlCard, ProductCard, EventCard, Callout];
