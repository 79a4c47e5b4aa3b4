/**
 * The label bar above the detail chart and the shortcuts legend: one button
 * per label (the active one marked), the channel new regions are for, the
 * selected region's times, the region tools (play, delete, undo, redo,
 * help), and the toggle of the alignment panel. With media and no labels it
 * shows the toggle alone. It holds which label and channel are active; the
 * labeling UI asks. Every string from labels or regions goes in as text.
 */

import { SHORTCUTS } from "./keys";
import type { Region } from "./regions";
import { el } from "./dom";

export interface LabelInfo {
  name: string;
  color: string | null;
  key: string | null;
}

/** The alignment panel as its toggle in the bar sees it. */
export interface AlignToggle {
  /** Whether there is media to align (the toggle shows, even without labels). */
  available(): boolean;
  /** Whether the panel is shown. */
  open(): boolean;
  toggle(): void;
}

export interface BarHost {
  signal: AbortSignal;
  /** The alignment panel's toggle (none: no toggle). */
  align?: AlignToggle;
  /** False on a read-only page: the bar is hidden. */
  editable: boolean;
  labels(): LabelInfo[];
  channels(): string[];
  color(label: string): string;
  /** A label button was clicked. */
  pick(name: string): void;
  playSelected(): void;
  deleteSelected(): void;
  undo(): void;
  redo(): void;
  /** Give the widget keyboard focus back (after the channel select). */
  focus(): void;
}

/** What the bar shows of the labeling state. */
export interface BarState {
  selected: Region | undefined;
  canUndo: boolean;
  canRedo: boolean;
  /** Labels being recorded while playing. */
  live: ReadonlyMap<string, number>;
}

export class LabelBar {
  readonly el = el("div", "tsv-labelbar", "labelbar");
  /** The shortcuts legend ("?"). */
  readonly help = el("div", "tsv-shortcuts", "shortcuts");
  private readonly info = el("span", "tsv-region-info", "region-info");
  private readonly buttons = new Map<string, HTMLButtonElement>();
  /** The label new regions get (null without labels). */
  active: string | null = null;
  /** Channel new regions are for (per-channel labels), or null for all channels. */
  channel: string | null = null;

  constructor(private readonly host: BarHost) {
    this.help.hidden = true;
    // Plain elements, not dl/dt/dd: hosts style those (JupyterLab's output area outranks a grid).
    const list = el("div", "tsv-shortcut-list", "shortcut-list");
    list.setAttribute("role", "list");
    for (const [k, v] of SHORTCUTS) list.append(el("span", "tsv-shortcut-key", "shortcut-key", k), el("span", "tsv-shortcut-does", "shortcut-does", v));
    this.help.append(el("strong", "", undefined, "Shortcuts (when the widget has focus)"), list);
  }

  toggleHelp(): void {
    this.help.hidden = !this.help.hidden;
  }

  /** Rebuild for the current labels and channels (keeping the active label and channel when they remain). */
  build(): void {
    const host = this.host;
    const labels = host.labels();
    const signal = host.signal;
    this.el.replaceChildren();
    this.buttons.clear();
    const align = host.editable && (host.align?.available() ?? false);
    this.el.hidden = !host.editable || (labels.length === 0 && !align);
    if (labels.length) this.buildLabels(labels);
    if (align) {
      const b = el("button", "tsv-tool tsv-align-toggle", "align-toggle", "Align", this.el);
      b.type = "button";
      b.title = "find and fix the alignment of the data and the media";
      b.addEventListener("click", () => {
        host.align!.toggle();
        this.showAlign();
      }, { signal });
      this.showAlign();
    }
  }

  /** Show whether the alignment panel is open on its toggle. */
  showAlign(): void {
    const b = this.el.querySelector<HTMLButtonElement>('[data-part="align-toggle"]');
    const open = this.host.align?.open() ?? false;
    b?.setAttribute("aria-pressed", String(open));
    b?.classList.toggle("tsv-active", open);
  }

  /** The label buttons, the channel select, the selection's times and the region tools. */
  private buildLabels(labels: LabelInfo[]): void {
    const host = this.host;
    const signal = host.signal;
    if (this.active === null || !labels.some((l) => l.name === this.active)) this.active = labels[0].name;
    for (const l of labels) {
      const b = el("button", "tsv-label", "label");
      b.type = "button";
      b.dataset.label = l.name;
      const swatch = el("span", "tsv-swatch");
      swatch.style.background = host.color(l.name);
      b.append(swatch, el("span", "tsv-label-name", undefined, l.name));
      if (l.key) b.append(el("kbd", "tsv-key", undefined, l.key));
      b.addEventListener("click", () => host.pick(l.name), { signal });
      this.buttons.set(l.name, b);
      this.el.append(b);
    }
    const channels = host.channels();
    if (channels.length > 1) {
      const sel = el("select", "tsv-channel", "channel-select");
      sel.title = "channel that new regions label";
      sel.append(el("option", "", undefined, "all channels"));
      for (const c of channels) {
        const o = el("option", "", undefined, c);
        o.value = c;
        sel.append(o);
      }
      sel.options[0].value = "";
      if (this.channel && channels.includes(this.channel)) sel.value = this.channel;
      else this.channel = null;
      sel.addEventListener("change", () => {
        this.channel = sel.value || null;
        host.focus();
      }, { signal });
      this.el.append(sel);
    }
    this.el.append(this.info);
    const tools: [string, string, () => void][] = [
      ["▶", "play-region", () => host.playSelected()],
      ["✕", "delete-region", () => host.deleteSelected()],
      ["↶", "undo", () => host.undo()],
      ["↷", "redo", () => host.redo()],
      ["?", "help-toggle", () => this.toggleHelp()],
    ];
    for (const [text, part, fn] of tools) {
      const b = el("button", "tsv-tool", part, text);
      b.type = "button";
      b.title = part.replace("-", " ");
      b.addEventListener("click", fn, { signal });
      this.el.append(b);
    }
  }

  /** Show `state`: tools enabled when they can act, the active and recording labels, the selection's times. */
  update(state: BarState): void {
    const tool = (part: string) => this.el.querySelector<HTMLButtonElement>(`[data-part="${part}"]`);
    const has = state.selected !== undefined;
    for (const [part, enabled] of [
      ["undo", state.canUndo],
      ["redo", state.canRedo],
      ["play-region", has],
      ["delete-region", has],
    ] as const) {
      const b = tool(part);
      if (b) b.disabled = !enabled;
    }
    for (const [name, b] of this.buttons) {
      b.classList.toggle("tsv-active", name === this.active);
      b.setAttribute("aria-pressed", String(name === this.active));
      b.classList.toggle("tsv-recording", state.live.has(name));
    }
    const r = state.selected;
    this.info.textContent = r ? `${r.label} ${r.start.toFixed(3)}–${r.end.toFixed(3)}` : "";
    this.el.dataset.active = this.active ?? "";
    this.showAlign();
  }

  remove(): void {
    this.el.remove();
    this.help.remove();
  }
}
