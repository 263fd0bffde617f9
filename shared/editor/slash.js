// The "/" menu: type / at the start of a line (or after a space), then a word to filter.
import { Extension } from "@tiptap/core";
import Suggestion from "@tiptap/suggestion";

export function slashMenu(items) {
  return Extension.create({
    name: "slashMenu",
    addProseMirrorPlugins() {
      return [
        Suggestion({
          editor: this.editor,
          char: "/",
          startOfLine: false,
          allowedPrefixes: [" "],
          items: ({ query }) =>
            items.filter((item) => item.title.toLowerCase().includes(query.toLowerCase())),
          command: ({ editor, range, props }) => {
            editor.chain().focus().deleteRange(range).run();
            props.run(editor);
          },
          render: () => {
            let menu;
            let selected = 0;
            let current = [];
            let choose;
            const draw = () => {
              menu.replaceChildren(
                ...current.map((item, index) => {
                  const button = document.createElement("button");
                  button.type = "button";
                  button.role = "option";
                  button.textContent = item.title;
                  button.dataset.slashItem = item.title;
                  button.setAttribute("aria-selected", String(index === selected));
                  button.addEventListener("mousedown", (event) => {
                    event.preventDefault();
                    choose(item);
                  });
                  return button;
                }),
              );
            };
            const place = (rect) => {
              const box = rect?.();
              if (!box) return;
              menu.style.left = `${box.left + window.scrollX}px`;
              menu.style.top = `${box.bottom + window.scrollY + 4}px`;
            };
            return {
              onStart(props) {
                menu = document.createElement("div");
                menu.className = "slash-menu";
                menu.role = "listbox";
                menu.setAttribute("aria-label", "Insert a card");
                document.body.append(menu);
                current = props.items;
                selected = 0;
                choose = (item) => props.command(item);
                draw();
                place(props.clientRect);
              },
              onUpdate(props) {
                current = props.items;
                selected = 0;
                choose = (item) => props.command(item);
                draw();
                place(props.clientRect);
              },
              onKeyDown({ event }) {
                if (!current.length) return false;
                if (event.key === "ArrowDown" || event.key === "ArrowUp") {
                  const step = event.key === "ArrowDown" ? 1 : -1;
                  selected = (selected + step + current.length) % current.length;
                  draw();
                  return true;
                }
                if (event.key === "Enter") {
                  choose(current[selected]);
                  return true;
                }
                return event.key === "Escape";
              },
              onExit() {
                menu?.remove();
              },
            };
          },
        }),
      ];
    },
  });
}
