/**
 * Per-model state, shared by every view of one widget: the overview, the
 * cache of detail chunks, the request channel to the kernel, the region edits
 * not yet acknowledged, and the media bytes and waveforms from the kernel.
 */

import type { AnyModel } from "@anywidget/types";
import { decodeBase64Tree, isBufferLike, type BufferLike, type Dtype } from "./buffers";
import { decodeChunk, decodeReply, replyBytes } from "./decode";
import { ChunkCache, DetailWire, Motion, prefetchPlan, windowRequest, type Chunk, type WindowRequest } from "./detail";
import { IDLE_MS, type LinkMeter, type LinkPlan } from "./link";
import { MediaStore } from "./mediastore";
import { PendingEdits } from "./pending";
import { IndexedDbPersistence, type PendingPersistence } from "./persist";
import { LatestOnly, RequestChannel, type Transport } from "./requests";
import { missingRequests } from "./stitch";
import { COMPACT, OVERVIEW_BUCKETS, REJECTED_MESSAGE } from "./wire";

interface OverviewTrait {
  x0?: number;
  x?: DataView;
  ys?: DataView[];
  dtypes?: Dtype[];
  bucket?: number;
  dt?: number;
  points?: number;
}

export { decodeChunk, decodeReply, replyBytes };

/** Why the overview's buffers cannot be used (lost or mangled by the host), or null. */
export function overviewBroken(ov: OverviewTrait): string | null {
  const n = ov.dtypes?.length ?? 0;
  if (!isBufferLike(ov.x)) return "the overview's time buffer did not arrive";
  if (typeof ov.points === "number" && ov.x.byteLength !== ov.points * 4) return `the overview's time buffer has ${ov.x.byteLength} bytes, ${ov.points * 4} were sent`;
  if (!Array.isArray(ov.ys) || ov.ys.length !== n || !ov.ys.every(isBufferLike)) return "the overview's channel buffers did not arrive";
  return null;
}

/** The overview the `_overview` trait holds (binary buffers, or base64 text), or why its buffers cannot be used (`broken`). */
function readOverview(model: AnyModel): { chunk: Chunk | null; broken: string | null; span: number } {
  const ov = decodeBase64Tree(model.get("_overview")) as OverviewTrait;
  const span = (model.get("_meta") as { span?: number } | null)?.span ?? 0;
  if (!ov?.dtypes) return { chunk: null, broken: null, span };
  const broken = overviewBroken(ov);
  const chunk = broken === null ? decodeChunk(0, span, ov.bucket ?? 1, ov.dt ?? 0, ov.dtypes, ov.x0 ?? 0, ov.x!, ov.ys!) : null;
  return { chunk, broken, span };
}

/** A window a view wants, and the request (or requests) that would serve it. */
interface DetailJob {
  /** The padded window; or, on a slow link, the parts of it a held chunk lacks (stitch.ts), sent together. */
  reqs: WindowRequest[];
  lo: number;
  hi: number;
  px: number;
  /** A request for a window that is already drawn (the neighbours). */
  prefetch?: boolean;
  /** `reqs` are parts to join with a held chunk: the window is asked for whole should they not cover it. */
  parts?: boolean;
}

/** Keys of requests (or windows) already made: a set that keeps the most recent 64. */
class KeySet extends Set<string> {
  override add(key: string): this {
    super.add(key);
    if (this.size > 64) this.delete(this.values().next().value as string);
    return this;
  }
}

/**
 * When a wanted window is asked for: the windows' motion (how far ahead a
 * request reaches), whether a window jumped, and, on a slow link, the wait for
 * a window to be still (link.ts STILL_MS).
 */
class Pacing {
  readonly motion = new Motion();
  /** The window last wanted that differed from the one before, and when. */
  private moved: { t: number; lo: number; hi: number } | null = null;
  /** A window asked for on a slow link, waiting to be still for the plan's stillMs. */
  private timer: ReturnType<typeof setTimeout> | null = null;
  private stillFor: { lo: number; hi: number; px: number } | null = null;

  /**
   * Window [lo, hi] is wanted now. True when it jumped (further than its width, from a
   * window still for IDLE_MS: a click on the overview): it will not move on, no need to
   * wait for it to be still.
   */
  see(lo: number, hi: number): boolean {
    const now = performance.now();
    this.motion.see(now, lo, hi);
    const prev = this.moved;
    const jumped = prev !== null && now - prev.t >= IDLE_MS && hi - lo === prev.hi - prev.lo && Math.abs(lo - prev.lo) > hi - lo;
    if (!prev || prev.lo !== lo || prev.hi !== hi) this.moved = { t: now, lo, hi };
    return jumped;
  }

  /** True while some window waits to be still. */
  get waiting(): boolean {
    return this.timer !== null;
  }

  /** True while window (lo, hi, px) waits to be still. */
  waitingFor(lo: number, hi: number, px: number): boolean {
    const w = this.stillFor;
    return w !== null && w.lo === lo && w.hi === hi && w.px === px;
  }

  /** Run `fn` once window (lo, hi, px) has been still `ms` (unless cancelled first). */
  wait(lo: number, hi: number, px: number, ms: number, fn: () => void): void {
    this.cancel();
    this.stillFor = { lo, hi, px };
    this.timer = setTimeout(() => {
      this.timer = null;
      this.stillFor = null;
      fn();
    }, ms);
  }

  /** Stop waiting. */
  cancel(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.stillFor = null;
  }
}

export class ModelState {
  readonly channel: RequestChannel;
  /** Region edits not yet acknowledged by the kernel (what every view draws and edits through). */
  readonly edits: PendingEdits;
  readonly cache = new ChunkCache(8);
  overview: Chunk | null = null;
  /** Views to tell when the overview arrived other than through the `_overview` trait. */
  readonly overviewListeners = new Set<() => void>();
  /** Views to tell when a new detail chunk arrived. */
  readonly listeners = new Set<() => void>();
  /** Media bytes and waveforms from the kernel, per track. */
  readonly media: MediaStore;
  private readonly fetcher: LatestOnly<DetailJob>;
  /**
   * On a slow link, a window the user stopped on does not wait behind a reply
   * still travelling (a round trip of 100 ms or more): it goes in this second
   * lane, so at most two requests are in flight there (one everywhere else).
   */
  private readonly urgent: LatestOnly<DetailJob>;
  /** Detail requests sent to the kernel, and replies decoded (diagnostics, tests, benchmarks). */
  detailRequests = 0;
  /** The window the views last asked for, which prefetches are for. */
  private current: { lo: number; hi: number; px: number } | null = null;
  private prefetchTimer: ReturnType<typeof setTimeout> | null = null;
  /** Prefetch requests already made (so a reply that cannot satisfy the plan is not asked again). */
  private readonly prefetched = new KeySet();
  /**
   * Windows (`lo:hi:px`) whose reply said nothing finer exists (`finest`: a static
   * page answers with the finest tile it embeds). Asking again would bring the same
   * reply, so they are not asked for again (a page once re-asked 1,554 times in 10 s).
   */
  private readonly finest = new KeySet();
  private disposed = false;
  private readonly pacing = new Pacing();
  private readonly wire: DetailWire;
  /** Bytes and round trips of the detail replies: how much the link allows (link.ts). */
  readonly link: LinkMeter;
  /**
   * Height in device pixels of the tallest detail chart this model's views have shown (0:
   * not known), for a slow link's `levels`: the views share the cached chunks, so a chunk
   * asked for by a short view must be fine enough for a tall one (and after a resize).
   */
  private heightPx = 0;
  /** Pointers down on the charts of this model's views (see hold). */
  private holds = 0;
  /** A window was wanted while a pointer was down on a slow link. */
  private held = false;
  detailReplies = 0;
  lastError: string | null = null;

  /** `persistence`: where unacknowledged edits are kept (IndexedDB unless a test says otherwise). */
  constructor(private model: AnyModel, persistence: PendingPersistence = new IndexedDbPersistence()) {
    this.channel = new RequestChannel((msg) => model.send(msg));
    this.channel.transport = (model.get("transport") as Transport | undefined) ?? "auto";
    this.edits = new PendingEdits(model, this.channel, persistence);
    this.media = new MediaStore(this.channel);
    this.wire = new DetailWire(this.channel);
    this.link = this.wire.link;
    this.fetcher = new LatestOnly((req) => this.fetch(req));
    this.urgent = new LatestOnly((req) => this.fetch(req));
    this.loadOverview();
  }

  /** Route a custom message from the kernel. */
  onMessage = (msg: Record<string, unknown>, buffers: BufferLike[]): void => {
    if (this.channel.receive(msg, buffers ?? [])) return;
    if (msg.type === REJECTED_MESSAGE) this.edits.reportRejected(String(msg.error ?? "the kernel refused a change"));
  };

  onOverview = (): void => {
    this.cache.clear();
    this.finest.clear();
    this.prefetched.clear();
    this.loadOverview();
    for (const fn of this.listeners) fn();
  };

  /** Read the `_overview` trait (binary buffers, or base64 text); ask the kernel again when its buffers were lost. */
  private loadOverview(): void {
    const { chunk, broken, span } = readOverview(this.model);
    this.overview = chunk;
    if (broken === null) return;
    if (this.channel.transport === "binary") {
      this.lastError = `the overview's binary buffers did not arrive intact (${broken}); set the widget's transport = "base64"`;
      return;
    }
    this.channel.useBase64(broken);
    void this.refetchOverview(span);
  }

  /** The overview through a (base64) detail request, for hosts whose state lost its buffers. */
  private async refetchOverview(span: number): Promise<void> {
    try {
      const { msg, buffers } = await this.channel.request("detail", { lo: 0, hi: span, buckets: OVERVIEW_BUCKETS });
      if (this.disposed) return;
      this.overview = decodeReply(0, span, msg, buffers);
      for (const fn of this.overviewListeners) fn();
    } catch (err) {
      this.lastError = String(err);
    }
  }

  /** The widget's `transport` changed (see requests.Transport). */
  setTransport(t: Transport | undefined): void {
    this.channel.transport = t ?? "auto";
  }

  /**
   * Ask for detail of window [lo, hi] drawn `px` pixels wide, unless the cache has it.
   * `heightPx`: the chart's height in device pixels, when known (a slow link's
   * requests then ask for the value levels the tallest chart shown can show:
   * COMPACT.levelsPerPx a pixel).
   */
  want(lo: number, hi: number, px: number, heightPx?: number): void {
    if (heightPx !== undefined && heightPx > this.heightPx) this.heightPx = heightPx;
    this.current = { lo, hi, px };
    const jumped = this.pacing.see(lo, hi);
    // A window the overview already shows raw needs nothing finer.
    const ov = this.overview;
    if (ov && ov.bucket <= 1) return;
    if (this.finest.has(`${lo}:${hi}:${px}`)) return;
    if (this.pacing.waitingFor(lo, hi, px)) return;
    this.pacing.cancel();
    if (this.cache.has(lo, hi, px)) {
      this.schedulePrefetch();
      return;
    }
    const plan = this.plan(px);
    if (plan.slow && this.holds > 0) {
      // A drag under way on a slow link: asked for when the pointer comes up (hold).
      this.held = true;
      return;
    }
    if (plan.stillMs > 0 && !jumped) {
      // A slow link: one request where the window stops, not one per round trip.
      this.pacing.wait(lo, hi, px, plan.stillMs, () => {
        if (!this.disposed) this.request(lo, hi, px, plan);
      });
      return;
    }
    this.request(lo, hi, px, plan);
  }

  /**
   * A pointer went down on a chart (`on`), or came up. While one is down, a slow
   * link asks for nothing (a drag moves the window on); when the last comes up,
   * the window it left is asked for at once.
   */
  hold(on: boolean): void {
    this.holds = Math.max(0, this.holds + (on ? 1 : -1));
    if (this.holds > 0 || this.disposed) return;
    const held = this.held;
    this.held = false;
    const cur = this.current;
    if (!cur) return;
    if (held && !this.cache.has(cur.lo, cur.hi, cur.px)) {
      this.pacing.cancel();
      this.request(cur.lo, cur.hi, cur.px, this.plan(cur.px));
    } else this.schedulePrefetch();
  }

  /** The link's latency and one window's transfer time for a chart `px` wide (ms; null before a reply). */
  linkEstimate(px: number): { latencyMs: number; transferMs: number | null } | null {
    return this.wire.estimate(px);
  }

  /** What the measured link allows for a chart `px` wide (link.ts linkPlan). */
  plan(px: number): LinkPlan {
    return this.wire.plan(px);
  }

  /**
   * Ask for window [lo, hi]. On a slow link, when a held chunk of its resolution
   * overlaps it, only the parts it lacks (stitch.ts missingRequests), unless `whole`.
   */
  private request(lo: number, hi: number, px: number, plan: LinkPlan, whole = false): void {
    const span = (this.model.get("_meta") as { span: number }).span;
    const parts = plan.slow && !whole && this.detailReplies > 0 ? missingRequests(this.cache.all(), lo, hi, px, span) : null;
    // The first window alone (fewest bytes to first paint; its neighbours
    // follow as a prefetch once it is drawn); later ones with the plan's margin
    // each side (a window on a fast link), so a drag that goes on while the
    // reply travels ends inside it.
    const pad = this.detailReplies === 0 ? 0 : plan.requestPad;
    // A window asked for once still (a slow link) is not moving: nothing to reach ahead for.
    const ahead = this.detailReplies === 0 || plan.stillMs > 0 ? 0 : this.pacing.motion.ahead(performance.now());
    const job: DetailJob = parts ? { reqs: parts, lo, hi, px, parts: true } : { reqs: [windowRequest(lo, hi, span, px, pad, ahead)], lo, hi, px };
    if (plan.slow && this.fetcher.busy) this.urgent.push(job);
    else this.fetcher.push(job);
  }

  /** Value levels a detail request asks for: on a slow link, COMPACT.levelsPerPx per pixel of the chart's height; else none. */
  private levels(px: number): number | null {
    if (!(this.heightPx > 0) || !this.plan(px).slow) return null;
    return Math.max(2, Math.ceil(COMPACT.levelsPerPx * this.heightPx));
  }

  private async fetch(job: DetailJob): Promise<void> {
    const { lo, hi, px, prefetch } = job;
    // An earlier reply may already cover this window: then the kernel is not asked.
    if (!prefetch && this.cache.has(lo, hi, px)) return;
    const levels = this.levels(px);
    await Promise.all(job.reqs.map((req) => this.ask(req, levels, job)));
    // Parts that did not make the window whole (a reply of other columns, or the held chunk gone):
    // the window as usual, once (a whole request is never followed up).
    const cur = this.current;
    if (job.parts && !this.disposed && !this.cache.has(lo, hi, px) && cur?.lo === lo && cur.hi === hi && cur.px === px) this.request(lo, hi, px, this.plan(px), true);
    for (const fn of this.listeners) fn();
    this.schedulePrefetch();
  }

  /** Send one detail request of `job` and cache its reply (joined with what it meets: ChunkCache.add). */
  private async ask(req: WindowRequest, levels: number | null, { lo, hi, px, prefetch }: DetailJob): Promise<void> {
    this.detailRequests++;
    try {
      const { chunk, finest } = await this.wire.ask(req, levels);
      this.cache.add(chunk);
      if (finest && !prefetch) this.finest.add(`${lo}:${hi}:${px}`);
      this.detailReplies++;
      this.lastError = null;
    } catch (err) {
      this.lastError = String(err);
    }
  }

  /**
   * Prefetch around the current window when the kernel is idle: one request
   * at a time through the same throttle, so a window the user moves to next
   * waits for at most one prefetch reply. Each request is made once. What is
   * prefetched, and when, follows the measured link (link.ts).
   */
  private schedulePrefetch(): void {
    if (this.disposed) return;
    // On a slow link only once the window has been still a while (the user paused): a
    // prefetch made in a pause within a drag is mostly wasted, and shares the link
    // with the request for where the drag ends.
    const wait = this.current ? this.plan(this.current.px).idleMs : 0;
    if (this.prefetchTimer !== null) {
      if (wait === 0) return;
      clearTimeout(this.prefetchTimer);
    }
    // After the throttle has started whatever the user queued meanwhile.
    this.prefetchTimer = setTimeout(() => {
      this.prefetchTimer = null;
      const cur = this.current;
      if (this.disposed || !cur || this.fetcher.busy || this.urgent.busy || this.pacing.waiting) return;
      if (this.holds > 0 && wait > 0) return; // a drag on a slow link: after it (hold)
      const span = (this.model.get("_meta") as { span: number }).span;
      for (const req of prefetchPlan(this.cache, cur.lo, cur.hi, span, cur.px, this.plan(cur.px))) {
        const key = `${req.lo}:${req.hi}:${req.buckets}`;
        if (this.prefetched.has(key)) continue;
        this.prefetched.add(key);
        this.fetcher.push({ reqs: [req], lo: cur.lo, hi: cur.hi, px: cur.px, prefetch: true });
        return;
      }
    }, wait);
  }

  dispose(): void {
    this.disposed = true;
    this.edits.dispose();
    if (this.prefetchTimer !== null) clearTimeout(this.prefetchTimer);
    this.pacing.cancel();
    this.channel.close();
    this.media.dispose();
    this.listeners.clear();
    this.overviewListeners.clear();
  }
}
