/**
 * Per-model state, shared by every view of one widget: the overview, the
 * cache of detail chunks, the request channel to the kernel, the region edits
 * not yet acknowledged, and the media bytes and waveforms from the kernel.
 */

import type { AnyModel } from "@anywidget/types";
import { decodeBase64Tree, isBufferLike, type BufferLike, type Dtype } from "./buffers";
import { decodeChunk, decodeReply, replyBytes } from "./decode";
import { ChunkCache, Motion, prefetchPlan, windowRequest, type Chunk, type WindowRequest } from "./detail";
import { IDLE_MS, LinkMeter, linkPlan, type LinkPlan } from "./link";
import { MediaStore } from "./mediastore";
import { PendingEdits } from "./pending";
import { IndexedDbPersistence, type PendingPersistence } from "./persist";
import { LatestOnly, RequestChannel, type Transport } from "./requests";
import { KERNEL_MS_FIELD, OVERVIEW_BUCKETS, REJECTED_MESSAGE } from "./wire";

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

/** A window a view wants, and the padded request that would serve it. */
interface DetailJob {
  req: WindowRequest;
  lo: number;
  hi: number;
  px: number;
  /** A padded request for a window that is already drawn (the neighbours). */
  prefetch?: boolean;
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
  private readonly prefetched = new Set<string>();
  /**
   * Windows (`lo:hi:px`) whose reply said nothing finer exists (`finest`: a static
   * page answers with the finest tile it embeds). Asking again would bring the same
   * reply, so they are not asked for again (a page once re-asked 1,554 times in 10 s).
   */
  private readonly finest = new Set<string>();
  private disposed = false;
  private readonly motion = new Motion();
  /** Bytes and round trips of the detail replies: how much the link allows (link.ts). */
  readonly link = new LinkMeter();
  /** Bytes per requested column of the recent replies (to predict a window's reply). */
  private bytesPerBucket = 0;
  /** A window asked for on a slow link, waiting to be still for the plan's stillMs. */
  private stillTimer: ReturnType<typeof setTimeout> | null = null;
  private stillFor: { lo: number; hi: number; px: number } | null = null;
  /** Pointers down on the charts of this model's views (see hold). */
  private holds = 0;
  /** A window was wanted while a pointer was down on a slow link. */
  private held = false;
  /** The window last asked for that differed from the one before, and when. */
  private moved: { t: number; lo: number; hi: number } | null = null;
  detailReplies = 0;
  lastError: string | null = null;

  /** `persistence`: where unacknowledged edits are kept (IndexedDB unless a test says otherwise). */
  constructor(private model: AnyModel, persistence: PendingPersistence = new IndexedDbPersistence()) {
    this.channel = new RequestChannel((msg) => model.send(msg));
    this.channel.transport = (model.get("transport") as Transport | undefined) ?? "auto";
    this.edits = new PendingEdits(model, this.channel, persistence);
    this.media = new MediaStore(this.channel);
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
    const ov = decodeBase64Tree(this.model.get("_overview")) as OverviewTrait;
    const span = (this.model.get("_meta") as { span?: number } | null)?.span ?? 0;
    this.overview = null;
    if (!ov?.dtypes) return;
    const broken = overviewBroken(ov);
    if (broken === null) {
      this.overview = decodeChunk(0, span, ov.bucket ?? 1, ov.dt ?? 0, ov.dtypes, ov.x0 ?? 0, ov.x!, ov.ys!);
      return;
    }
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

  /** Ask for detail of window [lo, hi] drawn `px` pixels wide, unless the cache has it. */
  want(lo: number, hi: number, px: number): void {
    this.current = { lo, hi, px };
    const now = performance.now();
    this.motion.see(now, lo, hi);
    // A window that jumped (further than its width, from a window still for IDLE_MS: a
    // click on the overview) will not move on: no need to wait for it to be still.
    const prev = this.moved;
    const jumped = prev !== null && now - prev.t >= IDLE_MS && hi - lo === prev.hi - prev.lo && Math.abs(lo - prev.lo) > hi - lo;
    if (!prev || prev.lo !== lo || prev.hi !== hi) this.moved = { t: now, lo, hi };
    // A window the overview already shows raw needs nothing finer.
    const ov = this.overview;
    if (ov && ov.bucket <= 1) return;
    if (this.finest.has(`${lo}:${hi}:${px}`)) return;
    const waiting = this.stillFor;
    if (waiting && waiting.lo === lo && waiting.hi === hi && waiting.px === px) return;
    this.cancelStill();
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
      this.stillFor = { lo, hi, px };
      this.stillTimer = setTimeout(() => {
        this.stillTimer = null;
        this.stillFor = null;
        if (!this.disposed) this.request(lo, hi, px, plan);
      }, plan.stillMs);
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
      this.cancelStill();
      this.request(cur.lo, cur.hi, cur.px, this.plan(cur.px));
    } else this.schedulePrefetch();
  }

  private cancelStill(): void {
    if (this.stillTimer !== null) clearTimeout(this.stillTimer);
    this.stillTimer = null;
    this.stillFor = null;
  }

  /** The link's latency and one window's transfer time for a chart `px` wide (ms; null before a reply). */
  linkEstimate(px: number): { latencyMs: number; transferMs: number | null } | null {
    const e = this.link.estimate();
    return e && { latencyMs: e.latencyMs, transferMs: this.link.transferMs(this.bytesPerBucket * px) };
  }

  /** What the measured link allows for a chart `px` wide (link.ts linkPlan). */
  plan(px: number): LinkPlan {
    return linkPlan(this.link, this.bytesPerBucket * px);
  }

  private request(lo: number, hi: number, px: number, plan: LinkPlan): void {
    const span = (this.model.get("_meta") as { span: number }).span;
    // The first window alone (fewest bytes to first paint; its neighbours
    // follow as a prefetch once it is drawn); later ones with the plan's margin
    // each side (a window on a fast link), so a drag that goes on while the
    // reply travels ends inside it.
    const pad = this.detailReplies === 0 ? 0 : plan.requestPad;
    // A window asked for once still (a slow link) is not moving: nothing to reach ahead for.
    const ahead = this.detailReplies === 0 || plan.stillMs > 0 ? 0 : this.motion.ahead(performance.now());
    const job = { req: windowRequest(lo, hi, span, px, pad, ahead), lo, hi, px };
    if (plan.slow && this.fetcher.busy) this.urgent.push(job);
    else this.fetcher.push(job);
  }

  private async fetch({ req, lo, hi, px, prefetch }: DetailJob): Promise<void> {
    // An earlier reply may already cover this window: then the kernel is not asked.
    if (!prefetch && this.cache.has(lo, hi, px)) return;
    this.detailRequests++;
    try {
      const t0 = performance.now();
      const { msg, buffers } = await this.channel.request("detail", { lo: req.lo, hi: req.hi, buckets: req.buckets, compact: true });
      const bytes = replyBytes(msg, buffers);
      this.link.observe(bytes, performance.now() - t0, Number(msg[KERNEL_MS_FIELD] ?? 0));
      const perBucket = bytes / Math.max(1, req.buckets);
      this.bytesPerBucket = this.bytesPerBucket > 0 ? 0.5 * this.bytesPerBucket + 0.5 * perBucket : perBucket;
      // The reply's bounds (a static page answers with the embedded chunk it has).
      const chunk = decodeReply(typeof msg.lo === "number" ? msg.lo : req.lo, typeof msg.hi === "number" ? msg.hi : req.hi, msg, buffers);
      this.cache.add(chunk);
      if (msg.finest === true && !prefetch) {
        this.finest.add(`${lo}:${hi}:${px}`);
        if (this.finest.size > 64) this.finest.delete(this.finest.values().next().value as string);
      }
      this.detailReplies++;
      this.lastError = null;
    } catch (err) {
      this.lastError = String(err);
    }
    for (const fn of this.listeners) fn();
    this.schedulePrefetch();
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
      if (this.disposed || !cur || this.fetcher.busy || this.urgent.busy || this.stillTimer !== null) return;
      if (this.holds > 0 && wait > 0) return; // a drag on a slow link: after it (hold)
      const span = (this.model.get("_meta") as { span: number }).span;
      for (const req of prefetchPlan(this.cache, cur.lo, cur.hi, span, cur.px, this.plan(cur.px))) {
        const key = `${req.lo}:${req.hi}:${req.buckets}`;
        if (this.prefetched.has(key)) continue;
        this.prefetched.add(key);
        if (this.prefetched.size > 64) this.prefetched.delete(this.prefetched.values().next().value as string);
        this.fetcher.push({ req, lo: cur.lo, hi: cur.hi, px: cur.px, prefetch: true });
        return;
      }
    }, wait);
  }

  dispose(): void {
    this.disposed = true;
    this.edits.dispose();
    if (this.prefetchTimer !== null) clearTimeout(this.prefetchTimer);
    this.cancelStill();
    this.channel.close();
    this.media.dispose();
    this.listeners.clear();
    this.overviewListeners.clear();
  }
}
