/**
 * Media bytes and waveforms the kernel serves, per model and per track:
 * fragment indexes and byte ranges of fragmented MP4s (streamed through Media
 * Source Extensions), blob: URLs of media loaded whole in chunks, and the
 * waveform envelopes of audio tracks. Shared by every view of one widget, so
 * two views of a widget load a track's bytes once.
 */

import { asBytes, asTyped } from "./buffers";
import { CHUNK_BYTES, type MediaInfo } from "./media";
import type { FragmentIndex } from "./msestream";
import type { RequestChannel } from "./requests";

/** A waveform envelope of one audio track (min/max per bucket, media seconds). */
export interface Envelope {
  /** Media seconds where bucket 0 starts. */
  t0: number;
  /** Seconds per bucket. */
  dt: number;
  lo: Float32Array;
  hi: Float32Array;
  /** True when each bucket is one sample (the finest there is). */
  raw: boolean;
  /** The track's decoded duration (seconds). */
  duration: number;
}

/** How long a waveform request may take (ms): the first decodes the whole file in the kernel. */
export const WAVEFORM_TIMEOUT_MS = 300_000;

interface BlobEntry {
  key: string;
  promise: Promise<string>;
  url?: string;
}

export class MediaStore {
  /** Listeners told how far a kernel media load got (0..1), by track. */
  readonly progress = new Set<(track: string, f: number) => void>();
  private readonly blobs = new Map<string, BlobEntry>();

  constructor(private readonly channel: RequestChannel) {}

  /** Where the fragments of track `track`'s fragmented MP4 are (the kernel reads them from the file). */
  async index(track: string): Promise<FragmentIndex> {
    const { msg } = await this.channel.request("media-index", { track }, 60000);
    return msg.index as FragmentIndex;
  }

  /** Bytes [lo, hi) of track `track`'s media from the kernel, in chunks of at most CHUNK_BYTES. */
  async range(track: string, lo: number, hi: number): Promise<Uint8Array> {
    const out = new Uint8Array(hi - lo);
    let at = lo;
    while (at < hi) {
      const { buffers } = await this.channel.request("media-chunk", { track, offset: at, length: Math.min(CHUNK_BYTES, hi - at) }, 60000);
      const bytes = asBytes(buffers[0]);
      if (bytes.length === 0) throw new Error(`the media ended at byte ${at}, before ${hi}`);
      out.set(bytes.subarray(0, hi - at), at - lo);
      at += bytes.length;
    }
    return out;
  }

  /** A blob: URL of track `info`'s media loaded from the kernel in chunks; one per track for all views. */
  blobUrl(info: MediaInfo): Promise<string> {
    const track = info.track;
    const key = JSON.stringify([info.source, info.path ?? info.name, info.size]);
    const held = this.blobs.get(track);
    if (held?.key === key) return held.promise;
    this.revoke(track);
    const entry: BlobEntry = { key, promise: Promise.resolve("") };
    entry.promise = (async () => {
      // The blob grows a chunk at a time (a Blob of a Blob references it, no copy),
      // so the page's heap holds one chunk however large the file is; the browser
      // keeps blob data out of the page and pages large blobs to disk.
      let blob = new Blob([], { type: info.mime || "" });
      let offset = 0;
      while (offset < info.size) {
        const { buffers } = await this.channel.request("media-chunk", { track, offset, length: CHUNK_BYTES }, 60000);
        const bytes = asBytes(buffers[0]);
        if (bytes.length === 0) throw new Error(`media ${info.name} ended at byte ${offset} of ${info.size}`);
        blob = new Blob([blob, bytes.slice()], { type: info.mime || "" });
        offset += bytes.length;
        for (const fn of this.progress) fn(track, offset / info.size);
      }
      const url = URL.createObjectURL(blob);
      entry.url = url;
      return url;
    })();
    this.blobs.set(track, entry);
    return entry.promise;
  }

  /** The min/max envelope of audio track `track` over media seconds [lo, hi] in about `buckets` buckets. */
  async waveform(track: string, lo: number, hi: number, buckets: number): Promise<Envelope> {
    const { msg, buffers } = await this.channel.request("waveform", { track, lo, hi, buckets }, WAVEFORM_TIMEOUT_MS);
    return {
      t0: Number(msg.t0),
      dt: Number(msg.dt),
      lo: asTyped(buffers[0], "float32") as Float32Array,
      hi: asTyped(buffers[1], "float32") as Float32Array,
      raw: msg.raw === true,
      duration: Number(msg.duration),
    };
  }

  private revoke(track: string): void {
    const url = this.blobs.get(track)?.url;
    if (url) URL.revokeObjectURL(url);
    this.blobs.delete(track);
  }

  dispose(): void {
    for (const track of [...this.blobs.keys()]) this.revoke(track);
    this.progress.clear();
  }
}
