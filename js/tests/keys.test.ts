// @vitest-environment happy-dom
import { describe, expect, it } from "vitest";
import { actionOf, bindKeys, SHORTCUTS, type Action, type KeyLike } from "../keys";

const labels = [
  { name: "Walk", key: "1" },
  { name: "Run", key: "r" },
];
const key = (k: string, mods: Partial<KeyLike> = {}): KeyLike => ({ key: k, ctrlKey: false, metaKey: false, shiftKey: false, altKey: false, target: null, ...mods });

describe("the keymap", () => {
  it("maps playback, window, editing and label keys to actions", () => {
    expect(actionOf(key(" "), labels)).toEqual({ kind: "play" });
    expect(actionOf(key("ArrowLeft"), labels)).toEqual({ kind: "window", dir: -1 });
    expect(actionOf(key("ArrowRight", { shiftKey: true }), labels)).toEqual({ kind: "frame", dir: 1 });
    expect(actionOf(key("z", { ctrlKey: true }), labels)).toEqual({ kind: "undo" });
    expect(actionOf(key("Z", { metaKey: true, shiftKey: true }), labels)).toEqual({ kind: "redo" });
    expect(actionOf(key("y", { ctrlKey: true }), labels)).toEqual({ kind: "redo" });
    expect(actionOf(key("Backspace"), labels)).toEqual({ kind: "delete" });
    expect(actionOf(key("Escape"), labels)).toEqual({ kind: "deselect" });
    expect(actionOf(key("?"), labels)).toEqual({ kind: "help" });
    expect(actionOf(key("."), labels)).toEqual({ kind: "event" });
    expect(actionOf(key("r"), labels)).toEqual({ kind: "label", name: "Run" });
  });

  it("leaves alone what it does not use: other keys, modified keys, typing in fields", () => {
    expect(actionOf(key("q"), labels)).toBeNull();
    expect(actionOf(key("1", { altKey: true }), labels)).toBeNull();
    expect(actionOf(key("s", { ctrlKey: true }), labels)).toBeNull();
    const input = document.createElement("input");
    document.body.append(input);
    expect(actionOf(key("1", { target: input }), labels)).toBeNull();
    const video = document.createElement("video");
    expect(actionOf(key("ArrowLeft", { target: video }), labels)).toBeNull(); // the video's own seek
    expect(actionOf(key(" ", { target: video }), labels)).toEqual({ kind: "play" });
    input.remove();
  });

  it("claims only the keys that were carried out, and stops when its signal aborts", () => {
    const root = document.createElement("div");
    document.body.append(root);
    const ac = new AbortController();
    const seen: Action[] = [];
    bindKeys(root, ac.signal, () => labels, (a) => (seen.push(a), a.kind !== "help"));
    const press = (k: string) => {
      const e = new KeyboardEvent("keydown", { key: k, bubbles: true, cancelable: true });
      root.dispatchEvent(e);
      return e.defaultPrevented;
    };
    expect(press(" ")).toBe(true);
    expect(press("?")).toBe(false); // not carried out: not claimed
    expect(press("q")).toBe(false);
    expect(seen).toEqual([{ kind: "play" }, { kind: "help" }]);
    ac.abort();
    press(" ");
    expect(seen).toHaveLength(2);
    root.remove();
  });

  it("the legend lists every key the keymap knows", () => {
    const keys = SHORTCUTS.map(([k]) => k).join(" ");
    for (const k of ["Space", "Delete", "Esc", "Ctrl/Cmd+Z", "Shift+← →", "."]) expect(keys).toContain(k);
  });
});
