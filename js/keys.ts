/**
 * One keymap for the widget: playback, the window and labeling. A key
 * pressed inside the widget becomes an {@link Action}; the view carries out
 * playback and window actions and hands the rest to the labeling UI. Keys
 * typed into a field (or the media element's own controls, except Space) are
 * left alone, and so is every key the widget does not use, so the notebook's
 * own shortcuts keep working.
 */

export type Action =
  | { kind: "undo" }
  | { kind: "redo" }
  | { kind: "play" }
  | { kind: "window"; dir: -1 | 1 }
  | { kind: "frame"; dir: -1 | 1 }
  | { kind: "delete" }
  | { kind: "deselect" }
  | { kind: "help" }
  | { kind: "event" }
  | { kind: "sync" }
  | { kind: "label"; name: string };

/** What the keymap reads of a keyboard event. */
export interface KeyLike {
  key: string;
  ctrlKey: boolean;
  metaKey: boolean;
  shiftKey: boolean;
  altKey: boolean;
  target: EventTarget | null;
}

/** The shortcuts legend: each key beside what it does (the "?" panel). */
export const SHORTCUTS: [string, string][] = [
  ["1-9 (or a label's key)", "pick a label; change the selected region's label; while playing, open then close a region at the playhead"],
  ["drag on the chart", "draw a region with the active label"],
  ["double-click, or .", "point event (at the click, or at the playhead)"],
  ["click a region", "select it and seek the media to its start; drag its body to move, its edges to resize"],
  ["Delete / Backspace", "remove the selected region"],
  ["Ctrl/Cmd+Z, Ctrl/Cmd+Shift+Z", "undo, redo"],
  ["Space", "play / pause"],
  ["← →", "step the window by its width"],
  ["Shift+← →", "step one video frame"],
  ["Alt+click on the chart, or S", "add a sync point: the data time there (S: under the pointer) is the alignment track's media time now"],
  ["Esc", "deselect"],
];

function typedInto(target: EventTarget | null, key: string): boolean {
  const el = target as HTMLElement | null;
  if (!el || typeof el.closest !== "function") return false;
  if (el.tagName === "VIDEO" || el.tagName === "AUDIO") return key !== " ";
  return el.closest("input, textarea, select, [contenteditable=true]") !== null;
}

/** The action of key event `e` given the labels' keys, or null when the widget does not use it. */
export function actionOf(e: KeyLike, labels: readonly { name: string; key?: string | null }[]): Action | null {
  if (typedInto(e.target, e.key)) return null;
  const mod = e.ctrlKey || e.metaKey;
  const k = e.key;
  if (mod && (k === "z" || k === "Z")) return e.shiftKey ? { kind: "redo" } : { kind: "undo" };
  if (mod && (k === "y" || k === "Y")) return { kind: "redo" };
  if (mod || e.altKey) return null;
  if (k === " ") return { kind: "play" };
  if (k === "ArrowLeft" || k === "ArrowRight") {
    const dir = k === "ArrowLeft" ? -1 : 1;
    return e.shiftKey ? { kind: "frame", dir } : { kind: "window", dir };
  }
  if (k === "Delete" || k === "Backspace") return { kind: "delete" };
  if (k === "Escape") return { kind: "deselect" };
  if (k === "?") return { kind: "help" };
  if (k === ".") return { kind: "event" };
  const label = labels.find((l) => l.key === k);
  if (label) return { kind: "label", name: label.name };
  // After the labels' keys: a label may have been given "s".
  if (k === "s" || k === "S") return { kind: "sync" };
  return null;
}

/**
 * Turn keys pressed inside `root` into actions for `run`, which returns true
 * when it carried one out; those keys are then claimed (no scrolling, no
 * notebook shortcut). Listeners go when `signal` aborts.
 */
export function bindKeys(
  root: HTMLElement,
  signal: AbortSignal,
  labels: () => readonly { name: string; key?: string | null }[],
  run: (a: Action) => boolean,
): void {
  root.addEventListener(
    "keydown",
    (e) => {
      const action = actionOf(e, labels());
      if (action && run(action)) {
        e.preventDefault();
        e.stopPropagation();
      }
    },
    { signal },
  );
}
