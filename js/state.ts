/**
 * Per-model state, shared by every view of one widget: the overview, the
 * cache of detail chunks, the request channel to the kernel, the region edits
 * not yet acknowledged, and the media bytes and waveforms from the kernel.
 */

import type { AnyModel } from "@anywidget/types";
import { asTyped, decodeBase64Tree, isBufferLike, type BufferLike, type Dtype } from "./buffers";
import { ChunkCache, Motion, prefetchPlan, windowRequest, type Chunk, type WindowRequest } from "./detail";
import { MediaStore } from "./mediastore";
import { PendingEdits } from "./pending";
import { IndexedDbPersistence, type PendingPersistence } from "./persist";
import { LatestOnly, RequestChannel, type Transport } from "./requests";
import { OVERVIEW_BUCKETS, REJECTED_MESSAGE } from "./wire";

interface OverviewTrait {
  x0?: number;
  x?: DataView;
  ys?: DataView[];
  dtypes?: Dtype[];
  bucket?: number;
  dt?: number;
  points?: number;
}

/** Why the overview's buffers cannot be used (lost or mangled by the host), or null. */
export function overviewBroken(ov: OverviewTrait): string | null {
  const n = ov.dtypes?.length ?? 0;
  if (!isBufferLike(ov.x)) return "the overview's time buffer did not arrive";
  if (typeof ov.points === "number" && ov.x.byteLength !== ov.points * 4) return `the overview's time buffer has ${ov.x.byteLength} bytes, ${ov.points * 4} were sent`;
  if (!Array.isArray(ov.ys) || ov.ys.length !== n || !ov.ys.every(isBufferLike)) return "the overview's channel buffers did not arrive";
  return null;
}

/**
 * Decode a packed window into a Chunk: times arrive as float32 offsets from
 * the float64 origin `x0`, then one buffer per channel.
 */
export function decodeChunk(
  lo: number,
  hi: number,
  bucket: number,
  dt: number,
  dtypes: Dtype[],
  x0: number,
  x: BufferLike,
  ys: BufferLike[],
): Chunk {
  if (ys.length !== dtypes.length) throw new Error(`expected ${dtypes.length} channel buffers, got ${ys.length}`);
  const off = asTyped(x, "float32");
  const abs = new Float64Array(off.length);
  for (let i = 0; i < off.length; i++) abs[i] = x0 + off[i];
  return { lo, hi, bucket, dt, x: abs, ys: ys.map((b, i) => asTyped(b, dtypes[i])) };
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
  /** Detail requests sent to the kernel, and replies decoded (diagnostics, tests, benchmarks). */
  detailRequests = 0;
  /** The window the views last asked for, which prefetches are for. */
  private current: { lo: number; hi: number; px: number } | null = null;
  private prefetchTimer: ReturnType<typeof setTimeout> | null = null;
  /** Prefetch requests already made (so a reply that cannot satisfy the plan is not asked again). */
  private readonly prefetched = new Set<string>();
  private disposed = false;
  private readonly motion = new Motion();
  detailReplies = 0;
  lastError: string | null = null;

  /** `persistence`: where unacknowledged edits are kept (IndexedDB unless a test says otherwise). */
  constructor(private model: AnyModel, persistence: PendingPersistence = new IndexedDbPersistence()) {
    this.channel = new RequestChannel((msg) => model.send(msg));
    this.channel.transport = (model.get("transport") as Transport | undefined) ?? "auto";
    this.edits = new PendingEdits(model, this.channel, persistence);
    this.media = new MediaStore(this.channel);
    this.fetcher = new LatestOnly((req) => this.fetch(req));
    this.loadOverview();
  }

  /** Route a custom message from the kernel. */
  onMessage = (msg: Record<string, unknown>, buffers: BufferLike[]): void => {
    if (this.channel.receive(msg, buffers ?? [])) return;
    if (msg.type === REJECTED_MESSAGE) this.edits.reportRejected(String(msg.error ?? "the kernel refused a change"));
  };

  onOverview = (): void => {
    this.cache.clear();
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
      this.overview = decodeChunk(0, span, Number(msg.bucket), Number(msg.dt ?? 0), msg.dtypes as Dtype[], Number(msg.x0), buffers[0], buffers.slice(1));
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
    // A window the overview already shows raw needs nothing finer.
    const ov = this.overview;
    if (ov && ov.bucket <= 1) return;
    if (this.cache.has(lo, hi, px)) {
      this.schedulePrefetch();
      return;
    }
    const span = (this.model.get("_meta") as { span: number }).span;
    // The first window alone (fewest bytes to first paint; its neighbours
    // follow as a prefetch once it is drawn); later ones with a window of
    // margin each side, so a drag that goes on while the reply travels ends
    // inside it.
    const pad = this.detailReplies === 0 ? 0 : 1;
    const ahead = this.detailReplies === 0 ? 0 : this.motion.ahead(now);
    this.fetcher.push({ req: windowRequest(lo, hi, span, px, pad, ahead), lo, hi, px });
  }

  private async fetch({ req, lo, hi, px, prefetch }: DetailJob): Promise<void> {
    // An earlier reply may already cover this window: then the kernel is not asked.
    if (!prefetch && this.cache.has(lo, hi, px)) return;
    this.detailRequests++;
    try {
      const { msg, buffers } = await this.channel.request("detail", { lo: req.lo, hi: req.hi, buckets: req.buckets });
      // The reply's bounds (a static page answers with the embedded chunk it has).
      const chunk = decodeChunk(
        typeof msg.lo === "number" ? msg.lo : req.lo,
        typeof msg.hi === "number" ? msg.hi : req.hi,
        Number(msg.bucket),
        Number(msg.dt ?? 0),
        msg.dtypes as Dtype[],
        Number(msg.x0),
        buffers[0],
        buffers.slice(1),
      );
      this.cache.add(chunk);
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
   * waits for at most one prefetch reply. Each request is made once.
   */
  private schedulePrefetch(): void {
    if (this.prefetchTimer !== null || this.disposed) return;
    // After the throttle has started whatever the user queued meanwhile.
    this.prefetchTimer = setTimeout(() => {
      this.prefetchTimer = null;
      const cur = this.current;
      if (this.disposed || !cur || this.fetcher.busy) return;
      const span = (this.model.get("_meta") as { span: number }).span;
      for (const req of prefetchPlan(this.cache, cur.lo, cur.hi, span, cur.px)) {
        const key = `${req.lo}:${req.hi}:${req.buckets}`;
        if (this.prefetched.has(key)) continue;
        this.prefetched.add(key);
        if (this.prefetched.size > 64) this.prefetched.delete(this.prefetched.values().next().value as string);
        this.fetcher.push({ req, lo: cur.lo, hi: cur.hi, px: cur.px, prefetch: true });
        return;
      }
    }, 0);
  }

  dispose(): void {
    this.disposed = true;
    this.edits.dispose();
    if (this.prefetchTimer !== null) clearTimeout(this.prefetchTimer);
    this.channel.close();
    this.media.dispose();
    this.listeners.clear();
    this.overviewListeners.clear();
  }
}
