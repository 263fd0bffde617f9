// The blog's prose editor (TipTap on ProseMirror), mounted on the staff editor page.
// It keeps the form's hidden `doc` field equal to the document's JSON; the server
// renders and sanitizes the HTML from that JSON, never from the browser's HTML.

import { Editor } from "@tiptap/core";
import { TableKit } from "@tiptap/extension-table";
import { Placeholder } from "@tiptap/extensions";
import StarterKit from "@tiptap/starter-kit";

import { CARDS } from "./cards.js";
import { slashMenu } from "./slash.js";

const AUTOSAVE_MS = 2000;

function csrfToken(form) {
  return form.querySelector('input[name="csrf_token"]').value;
}

async function upload(form, file) {
  const response = await fetch(form.dataset.upload, {
    method: "POST",
    body: file,
    headers: {
      "Content-Type": "application/octet-stream",
      "X-CSRF-Token": csrfToken(form),
      Accept: "application/json",
    },
  });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body.error || body.message || `Upload failed (${response.status})`);
  return body;
}

// The page's one file input (in the editor template): the "/" menu's Image and Gallery
// open it; whatever is chosen next is uploaded.
function pickFiles(multiple) {
  const input = document.getElementById("editor-upload");
  return new Promise((resolve) => {
    input.multiple = multiple;
    input.value = "";
    input.dataset.waiting = "";
    input.addEventListener(
      "change",
      () => {
        delete input.dataset.waiting;
        resolve([...input.files]);
      },
      { once: true },
    );
    input.click();
  });
}

function menuItems(form, say) {
  const insertImages = async (editor, multiple) => {
    const files = await pickFiles(multiple);
    if (!files.length) return;
    say("Uploading…");
    try {
      const stored = await Promise.all(files.map((file) => upload(form, file)));
      const content = multiple
        ? { type: "gallery", attrs: { images: stored.map((s) => ({ src: s.url, alt: "" })) } }
        : { type: "imageCard", attrs: { src: stored[0].url, alt: "", caption: "", width: "regular" } };
      editor.chain().focus().insertContent(content).run();
      say("Image uploaded.");
    } catch (error) {
      say(error.message, true);
    }
  };
  const node = (type, attrs = {}) => (editor) => editor.chain().focus().insertContent({ type, attrs }).run();
  return [
    { title: "Heading", run: (e) => e.chain().focus().setNode("heading", { level: 2 }).run() },
    { title: "Subheading", run: (e) => e.chain().focus().setNode("heading", { level: 3 }).run() },
    { title: "Bulleted list", run: (e) => e.chain().focus().toggleBulletList().run() },
    { title: "Numbered list", run: (e) => e.chain().focus().toggleOrderedList().run() },
    { title: "Quote", run: (e) => e.chain().focus().toggleBlockquote().run() },
    { title: "Code block", run: (e) => e.chain().focus().toggleCodeBlock().run() },
    { title: "Divider", run: (e) => e.chain().focus().setHorizontalRule().run() },
    { title: "Image", run: (e) => insertImages(e, false) },
    { title: "Gallery", run: (e) => insertImages(e, true) },
    {
      title: "Callout",
      run: (e) =>
        e.chain().focus().insertContent({ type: "callout", content: [{ type: "paragraph" }] }).run(),
    },
    { title: "Bookmark", run: node("bookmark") },
    { title: "HTML", run: node("htmlCard") },
    { title: "Table", run: (e) => e.chain().focus().insertTable({ rows: 3, cols: 3, withHeaderRow: true }).run() },
    { title: "Product", run: node("productCard") },
    { title: "Event", run: node("eventCard") },
  ];
}

function autosaver(form, say) {
  let timer;
  let saving = Promise.resolve();
  const save = async () => {
    const target = form.dataset.created || form.action;
    const url = target.endsWith("/admin/posts/") ? target : `${target}autosave`;
    const response = await fetch(url, {
      method: "POST",
      body: new FormData(form),
      headers: { "X-Requested-With": "editor", Accept: "application/json" },
    });
    const body = await response.json().catch(() => ({}));
    if (!response.ok) return say(body.error || "Could not save.", true);
    if (body.edit_url && !form.action.includes(body.edit_url)) {
      form.action = body.edit_url; // the draft exists now: save to it from here on
      history.replaceState(null, "", body.edit_url);
    }
    say("Draft saved.");
  };
  return () => {
    if (form.dataset.autosave !== "on" || !form.title.value.trim()) return;
    clearTimeout(timer);
    timer = setTimeout(() => {
      saving = saving.then(save, save);
    }, AUTOSAVE_MS);
  };
}

function mount() {
  const form = document.getElementById("post-form");
  const element = document.getElementById("editor");
  if (!form || !element) return;
  const docField = form.querySelector('textarea[name="doc"]');
  const status = form.querySelector("[data-editor-status]");
  const say = (message, isError = false) => {
    status.textContent = message;
    status.classList.toggle("field-error", isError);
  };
  const stored = JSON.parse(docField.value || "null");
  const scheduleAutosave = autosaver(form, say);
  const editor = new Editor({
    element,
    // The editable body TipTap renders is the field: it is named by the form's "Body" label.
    editorProps: {
      attributes: {
        role: "textbox",
        "aria-multiline": "true",
        "aria-labelledby": element.dataset.labelledby || "",
      },
    },
    extensions: [
      StarterKit.configure({ heading: { levels: [2, 3, 4] }, link: { openOnClick: false } }),
      TableKit.configure({ table: { resizable: false } }),
      Placeholder.configure({ placeholder: element.dataset.placeholder }),
      ...CARDS,
      slashMenu(menuItems(form, say)),
    ],
    content: stored || "",
    onUpdate: ({ editor: current }) => {
      docField.value = JSON.stringify(current.getJSON());
      scheduleAutosave();
    },
  });
  docField.value = JSON.stringify(editor.getJSON());
  element.editor = editor; // for the browser tests and the console
  form.addEventListener("input", (event) => {
    if (!element.contains(event.target)) scheduleAutosave();
  });
  const featureButton = form.querySelector("[data-feature-upload]");
  if (featureButton) {
    featureButton.hidden = false; // without JavaScript, the URL field alone
    featureButton.addEventListener("click", async () => {
      const [file] = await pickFiles(false);
      if (!file) return;
      say("Uploading…");
      try {
        form.feature_image.value = (await upload(form, file)).url;
        say("Feature image uploaded.");
        scheduleAutosave();
      } catch (error) {
        say(error.message, true);
      }
    });
  }
  for (const offset of document.querySelectorAll("[data-tz-offset]")) {
    offset.value = String(new Date().getTimezoneOffset());
  }
  for (const label of document.querySelectorAll("[data-tz-label]")) {
    label.textContent = `(your time, ${Intl.DateTimeFormat().resolvedOptions().timeZone})`;
  }
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", mount);
else mount();
