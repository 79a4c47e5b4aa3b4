// @vitest-environment happy-dom
import { afterEach, describe, expect, it, vi } from "vitest";
import { envelopeRange, LANE_HEIGHT, Lanes, serves, type LanesHost } from "../lanes";
import type { Envelope, MediaStore } from "../mediastore";
import { MediaTrack } from "../mediatrack";
import type { Sel } from "../range";
import type { TimeMap } from "../timemap";
import { FakeModel, settle } from "./fake-model";
import { fakePlayers, mediaInfo, recordingEvents } from "./fake-tracks";

function env(t0: number, dt: number, lo: number[], hi: number[], raw = false, duration = 100): Envelope {
  return { t0, dt, lo: Float32Array.from(lo), hi: Float32Array.from(hi), raw, duration };
}

/** An envelope of `n` buckets of `dt` from media 0, every bucket within [-amp, amp]. */
function flat(n: number, dt: number, amp = 0.5, duration = n * dt): Envelope {
  return env(0, dt, new Array(n).fill(-amp), new Array(n).fill(amp), false, duration);
}

describe("envelopeRange", () => {
  // Buckets of 0.5 s from media 10 s.
  const e = env(10, 0.5, [-0.1, -0.4, -0.2, -0.9, -0.3], [0.2, 0.1, 0.8, 0.3, 0.4]);

  it("gives the exact min and max over the buckets a range touches", () => {
    expect(envelopeRange(e, 10.5, 11.5)).toEqual([Math.fround(-0.4), Math.fround(0.8)]); // buckets 1, 2
    expect(envelopeRange(e, 10.6, 11.1)).toEqual([Math.fround(-0.4), Math.fround(0.8)]); // parts of 1, 2
    expect(envelopeRange(e, 11.5, 12)).toEqual([Math.fround(-0.9), Math.fround(0.3)]); // bucket 3
    expect(envelopeRange(e, 10, 12.5)).toEqual([Math.fround(-0.9), Math.fround(0.8)]); // all
  });

  it("gives the one bucket a range narrower than a bucket falls in", () => {
    expect(envelopeRange(e, 11.1, 11.2)).toEqual([Math.fround(-0.2), Math.fround(0.8)]);
  });

  it("clips a range that starts before the envelope or ends after it", () => {
    expect(envelopeRange(e, 9, 10.4)).toEqual([Math.fround(-0.1), Math.fround(0.2)]);
    expect(envelopeRange(e, 12.1, 20)).toEqual([Math.fround(-0.3), Math.fround(0.4)]);
  });

  it("gives null after the envelope's end, and for an empty envelope", () => {
    expect(envelopeRange(e, 12.5, 13)).toBeNull();
    expect(envelopeRange(env(0, 1, [], []), 0, 1)).toBeNull();
  });

  it("gives null for a range wholly before the envelope's start", () => {
    expect(envelopeRange(e, 8, 9)).toBeNull();
  });
});

describe("serves", () => {
  // 10 s in buckets of 0.1 s.
  const e = flat(100, 0.1, 0.5, 10);

  it("serves a covered window at a pixel's resolution or finer", () => {
    expect(serves(e, 2, 8, 60)).toBe(true); // 0.1 s a pixel
    expect(serves(e, 2, 8, 30)).toBe(true);
    expect(serves(e, 2, 8, 100)).toBe(false); // 0.06 s a pixel: too coarse
  });

  it("raw samples serve any resolution", () => {
    expect(serves({ ...e, raw: true }, 2, 8, 10_000)).toBe(true);
  });

  it("needs the window covered, as far as the media goes", () => {
    expect(serves(e, -2, 5, 10)).toBe(true); // before media 0 there is nothing to cover
    expect(serves(e, 5, 15, 10)).toBe(true); // nor after the duration
    const late = { ...e, t0: 3 };
    expect(serves(late, 2, 8, 10)).toBe(false);
    const long = { ...e, duration: 20 };
    expect(serves(long, 5, 15, 10)).toBe(false);
  });
});

// -- the lanes ---------------------------------------------------------------------------

interface Ask {
  track: string;
  lo: number;
  hi: number;
  buckets: number;
  resolve: (e: Envelope) => void;
  reject: (err: unknown) => void;
}

class FakeStore {
  readonly asks: Ask[] = [];
  waveform(track: string, lo: number, hi: number, buckets: number): Promise<Envelope> {
    return new Promise((resolve, reject) => this.asks.push({ track, lo, hi, buckets, resolve, reject }));
  }
}

/** A 2D context per canvas that records fillRect calls since the last clearRect. */
function recordingCanvases() {
  const rects = new WeakMap<HTMLCanvasElement, number[][]>();
  vi.spyOn(HTMLCanvasElement.prototype, "getContext").mockImplementation(function (this: HTMLCanvasElement) {
    const mine: number[][] = [];
    rects.set(this, mine);
    return {
      fillStyle: "",
      setTransform() {},
      clearRect() {
        mine.length = 0;
      },
      fillRect(x: number, y: number, w: number, h: number) {
        mine.push([x, y, w, h]);
      },
    } as never;
  });
  return (c: HTMLCanvasElement) => rects.get(c) ?? [];
}

afterEach(() => {
  vi.restoreAllMocks();
});

function setup(opts: { kernel?: boolean } = {}) {
  const model = new FakeModel({
    _media: [mediaInfo("front"), mediaInfo("mic", "audio"), mediaInfo("room", "audio")],
    _tracks: [
      { name: "front", muted: false, visible: true },
      { name: "mic", muted: false, visible: true, offset: -3, rate: 1 },
      { name: "room", muted: false, visible: true, offset: 0, rate: 1 },
    ],
  });
  const fp = fakePlayers();
  const ac = new AbortController();
  const tracks = (model.get("_media") as ReturnType<typeof mediaInfo>[]).map(
    (info, i) => new MediaTrack(info, i, model.asModel(), recordingEvents().events, ac.signal, { make: fp.make }),
  );
  const maps: Record<string, TimeMap> = {
    front: { span: 100, duration: null, offset: 0, rate: 1 },
    mic: { span: 100, duration: null, offset: -3, rate: 1 },
    room: { span: 100, duration: null, offset: 0, rate: 1 },
  };
  let sel: Sel = [0, 10];
  const host: LanesHost = {
    window: () => sel,
    plot: () => ({ left: 40, width: 200 }),
    map: (t) => maps[t.name],
    color: () => "#123456",
    kernel: opts.kernel ?? true,
  };
  const store = new FakeStore();
  const lanes = new Lanes(store as unknown as MediaStore, host);
  const lane = (name: string) => lanes.box.querySelector<HTMLElement>(`[data-part="lane"][data-track="${name}"]`)!;
  const status = (name: string) => lane(name).querySelector<HTMLElement>('[data-part="lane-status"]')!;
  const canvas = (name: string) => lane(name).querySelector<HTMLCanvasElement>('canvas[data-part="waveform"]')!;
  return { lanes, tracks, store, lane, status, canvas, setSel: (s: Sel) => (sel = s) };
}

describe("Lanes", () => {
  it("has one lane per audio track, each with the track's tile, a waveform canvas and a status", () => {
    const { lanes, tracks, lane, canvas } = setup();
    lanes.set(tracks);
    expect(lanes.box.dataset.part).toBe("lanes");
    expect(lanes.box.hidden).toBe(false);
    const all = [...lanes.box.querySelectorAll<HTMLElement>('[data-part="lane"]')];
    expect(all.map((l) => l.dataset.track)).toEqual(["mic", "room"]);
    expect(lane("mic").firstElementChild).toBe(tracks[1].tile);
    expect(canvas("mic").style.marginLeft).toBe("40px");
    expect(canvas("mic").style.width).toBe("200px");
    expect(canvas("mic").style.height).toBe(`${LANE_HEIGHT}px`);
  });

  it("is hidden without audio tracks", () => {
    const { lanes, tracks, store } = setup();
    lanes.set(tracks.slice(0, 1));
    expect(lanes.box.hidden).toBe(true);
    expect(lanes.box.children).toHaveLength(0);
    expect(store.asks).toEqual([]);
  });

  it("asks for each lane's media window (padded) at twice the plot's pixels, and says it is decoding", () => {
    const { lanes, tracks, store, status } = setup();
    lanes.set(tracks);
    expect(store.asks.map((a) => [a.track, a.lo, a.hi, a.buckets])).toEqual([
      ["mic", -8, 12, 400], // data [0, 10] is mic media [-3, 7], padded by half the width
      ["room", -5, 15, 400],
    ]);
    expect(status("mic").textContent).toBe("decoding the waveform of mic…");
  });

  it("keeps one request in flight per lane, and asks for the newest window after the reply", async () => {
    const { lanes, tracks, store, status, setSel } = setup();
    lanes.set(tracks);
    const first = store.asks.filter((a) => a.track === "mic");
    expect(first).toHaveLength(1);
    setSel([40, 50]);
    lanes.draw();
    setSel([60, 70]);
    lanes.draw();
    expect(store.asks.filter((a) => a.track === "mic")).toHaveLength(1);
    // The reply covers the first window only: the newest window is asked for at once.
    first[0].resolve(env(0, 0.025, new Array(480).fill(-0.5), new Array(480).fill(0.5), false, 200));
    await settle();
    expect(status("mic").textContent).toBe("");
    const mic = store.asks.filter((a) => a.track === "mic");
    expect(mic).toHaveLength(2);
    expect([mic[1].lo, mic[1].hi]).toEqual([52, 72]); // data [60, 70] -> media [57, 67], padded
  });

  it("asks nothing more once the envelope held serves the window", async () => {
    const { lanes, tracks, store } = setup();
    lanes.set(tracks);
    store.asks[0].resolve(flat(480, 0.025, 0.5, 200));
    await settle();
    lanes.draw();
    lanes.draw();
    expect(store.asks.filter((a) => a.track === "mic")).toHaveLength(1);
  });

  it("draws the envelope where the track has media", async () => {
    const rects = recordingCanvases();
    const { lanes, tracks, store, canvas } = setup();
    lanes.set(tracks);
    store.asks[0].resolve(flat(480, 0.025, 0.5, 200));
    await settle();
    const drawn = rects(canvas("mic"));
    // 0.05 s a pixel; media 0 (data 3 s) is at x = 60.
    const xs = drawn.map((r) => r[0]);
    for (let x = 61; x < 200; x++) expect(xs).toContain(x);
    const at100 = drawn.find((r) => r[0] === 100)!;
    expect(at100).toEqual([100, LANE_HEIGHT / 4, 1, LANE_HEIGHT / 2]); // amplitude 0.5 of the half height
  });

  it("draws nothing before the track's start", async () => {
    const rects = recordingCanvases();
    const { lanes, tracks, store, canvas } = setup();
    lanes.set(tracks);
    store.asks[0].resolve(flat(480, 0.025, 0.5, 200));
    await settle();
    const drawn = rects(canvas("mic"));
    expect(drawn.length).toBeGreaterThan(0);
    expect(drawn.filter((r) => r[0] < 59)).toEqual([]);
  });

  it("shows an error reply as text in the lane's status", async () => {
    const { lanes, tracks, store, status } = setup();
    lanes.set(tracks);
    store.asks[0].reject(new Error("ffmpeg is not installed"));
    await settle();
    expect(status("mic").textContent).toBe("waveform of mic: ffmpeg is not installed");
    expect(status("room").textContent).toBe("decoding the waveform of room…");
    // Without an envelope the lane does not ask again on its own.
    expect(store.asks.filter((a) => a.track === "mic")).toHaveLength(1);
  });

  it("does not ask again at once after an error reply when it holds an older envelope", async () => {
    const { lanes, tracks, store, setSel } = setup();
    lanes.set(tracks);
    store.asks[0].resolve(flat(480, 0.025, 0.5, 200));
    await settle();
    setSel([60, 70]);
    lanes.draw();
    const mic = () => store.asks.filter((a) => a.track === "mic");
    expect(mic()).toHaveLength(2);
    mic()[1].reject(new Error("kernel busy"));
    await settle();
    expect(mic()).toHaveLength(2);
  });

  it("asks nothing on a static page (no kernel) and says so", () => {
    const { lanes, tracks, store, status } = setup({ kernel: false });
    lanes.set(tracks);
    expect(store.asks).toEqual([]);
    expect(status("mic").textContent).toBe("waveform: needs a running kernel");
    expect(status("room").textContent).toBe("waveform: needs a running kernel");
  });

  it("asks nothing for a hidden track", () => {
    const { lanes, tracks, store } = setup();
    tracks[1].tile.classList.add("tsv-hidden-track");
    lanes.set(tracks);
    expect(store.asks.map((a) => a.track)).toEqual(["room"]);
  });

  it("ignores a reply that arrives after destroy()", async () => {
    const { lanes, tracks, store, status } = setup();
    lanes.set(tracks);
    const before = status("mic").textContent;
    lanes.destroy();
    store.asks[0].reject(new Error("late"));
    await settle();
    expect(status("mic").textContent).toBe(before);
    expect(store.asks).toHaveLength(2);
    expect(lanes.box.isConnected).toBe(false);
  });
});
