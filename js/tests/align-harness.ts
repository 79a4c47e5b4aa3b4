/**
 * One widget and its views' alignment parts for the alignment tests: a fake
 * model with two tracks (a video "cam", the first, and an audio "mic"), the
 * request channel as widget.ts wires it, and a view whose detail chart's
 * overlay is 100 px wide showing seconds 0 to 10 (clientX 20 is 2 s).
 * Needs a DOM (happy-dom).
 */

import { Alignment, type AlignHost } from "../align";
import { RequestChannel } from "../requests";
import { FakeModel } from "./fake-model";
import { mediaInfo } from "./fake-tracks";

/** A rectangle for getBoundingClientRect. */
export function rect(left: number, width: number, height = 50): DOMRect {
  return { left, top: 0, width, height, right: left + width, bottom: height, x: left, y: 0, toJSON: () => ({}) } as DOMRect;
}

/** A plot overlay `width` px wide at the page's left edge. */
export function overlay(width: number): HTMLDivElement {
  const over = document.createElement("div");
  over.getBoundingClientRect = () => rect(0, width);
  Object.defineProperty(over, "clientWidth", { value: width });
  over.setPointerCapture = () => {};
  return over;
}

export function alignWidget(traits: Record<string, unknown> = {}) {
  const model = new FakeModel({
    _media: [mediaInfo("cam"), mediaInfo("mic", "audio")],
    _tracks: [
      { name: "cam", muted: false, visible: true, knots: null },
      { name: "mic", muted: false, visible: true, offset: 2, rate: 1.001, knots: null },
    ],
    offset: 1.5,
    rate: 1,
    media_duration: 100,
    sync_points: [],
    _align_undo: [],
    _labels: [],
    regions: [],
    _store_key: "",
    _meta: { span: 10, n: 1001, channels: ["ax", "ay"], kind: "numeric", unit: "s", t0: 0 },
    ...traits,
  });
  const channel = new RequestChannel((msg) => model.send(msg));
  const onMsg = (msg: Record<string, unknown>, buffers: never[]) => channel.receive(msg, buffers);
  model.on("msg:custom", onMsg);
  /** Answer the latest request of `type` (error null unless given). */
  const reply = (type: string, fields: Record<string, unknown> = {}, buffers: unknown[] = []) => {
    const req = model.sentOf(type).at(-1);
    if (!req) throw new Error(`no ${type} request was sent`);
    model.deliver({ type, id: req.id, error: null, ...fields }, buffers);
  };
  return { model, channel, reply, close: () => (model.off("msg:custom", onMsg), channel.close()) };
}

export type AlignWidget = ReturnType<typeof alignWidget>;

/** One view's alignment: the root holds the detail box (with its overlay) and the overview's overlay. */
export function alignView(w: AlignWidget, overrides: Partial<AlignHost> = {}) {
  const root = document.createElement("div");
  document.body.append(root);
  const anchor = document.createElement("div");
  const over = overlay(100);
  const overviewOver = overlay(200);
  anchor.append(over);
  root.append(anchor, overviewOver);
  const ac = new AbortController();
  const times = new Map<string, number>([["cam", 0], ["mic", 0]]);
  let toggles = 0;
  let sel: [number, number] = [0, 10];
  const host: AlignHost = {
    model: w.model.asModel(),
    channel: w.channel,
    signal: ac.signal,
    editable: true,
    anchor,
    detailOver: () => over,
    overviewOver: () => overviewOver,
    window: () => sel,
    span: () => 10,
    channels: () => ["ax", "ay"],
    format: (rel) => `${rel.toFixed(3)} s`,
    plot: () => ({ left: 0, width: 100 }),
    series: (name) => (name === "ax" ? { xs: [0, 5, 10], ys: [0, 1, 0] } : null),
    colors: () => ({ channel: "#4e79a7", feature: "#000" }),
    currentTime: (track) => times.get(track) ?? null,
    toggled: () => toggles++,
    focus: () => root.focus({ preventScroll: true }),
    ...overrides,
  };
  const align = new Alignment(host);
  align.attach();
  const q = <T extends HTMLElement = HTMLElement>(part: string) => root.querySelector<T>(`[data-part="${part}"]`);
  const qa = (part: string) => [...root.querySelectorAll<HTMLElement>(`[data-part="${part}"]`)];
  const destroy = () => {
    ac.abort();
    align.destroy();
    root.remove();
  };
  return {
    root,
    over,
    overviewOver,
    align,
    times,
    destroy,
    q,
    qa,
    toggles: () => toggles,
    setWindow: (s: [number, number]) => (sel = s),
    /** The panel's part `part`'s text. */
    text: (part: string) => q(part)?.textContent ?? null,
    click: (part: string) => q(part)!.click(),
    /** Pick `value` in the select `part`. */
    choose: (part: string, value: string) => {
      const s = q<HTMLSelectElement>(part)!;
      s.value = value;
      s.dispatchEvent(new Event("change", { bubbles: true }));
    },
    /** Rows of the sync-point list as { id, part: text }. */
    rows: () =>
      qa("sync-row").map((r) => ({
        id: r.dataset.id,
        residual: r.querySelector('[data-part="sync-residual"]')!.textContent,
        fit: r.querySelector('[data-part="sync-fit-residual"]')!.textContent,
      })),
    /** A pointer event on the detail overlay at clientX `x`. */
    pointer: (type: string, x: number, init: PointerEventInit = {}) =>
      over.dispatchEvent(new PointerEvent(type, { clientX: x, clientY: 25, button: 0, buttons: 1, pointerId: 1, bubbles: true, cancelable: true, ...init })),
  };
}
