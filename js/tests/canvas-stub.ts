/**
 * happy-dom has no 2D canvas: a context that accepts every call (and measures
 * every text as 10 px wide) is enough for uPlot's layout. Import for its effect.
 */

const noop = () => undefined;
const ctx = new Proxy({} as Record<string | symbol, unknown>, {
  get: (t, k) => (k in t ? t[k] : k === "measureText" ? () => ({ width: 10 }) : noop),
  set: (t, k, v) => ((t[k] = v), true),
});
HTMLCanvasElement.prototype.getContext = (() => ctx) as never;
(globalThis as Record<string, unknown>).Path2D ??= class {
  constructor() {
    return new Proxy(this, { get: () => noop });
  }
};
