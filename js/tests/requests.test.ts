import { describe, expect, it } from "vitest";
import { brokenBuffers, LatestOnly, RequestChannel, type Timers } from "../requests";

const b64 = (bytes: number[]) => btoa(String.fromCharCode(...bytes));

function fakeTimers() {
  let now = 0;
  let next = 1;
  const due = new Map<number, { at: number; fn: () => void }>();
  const timers: Timers = {
    setTimeout: (fn, ms) => {
      const id = next++;
      due.set(id, { at: now + ms, fn });
      return id;
    },
    clearTimeout: (h) => void due.delete(h as number),
  };
  const advance = (ms: number) => {
    now += ms;
    for (const [id, t] of [...due]) if (t.at <= now) {
      due.delete(id);
      t.fn();
    }
  };
  return { timers, advance, pending: () => due.size };
}

describe("RequestChannel", () => {
  it("uses a {type, id} envelope and resolves the matching reply", async () => {
    const sent: Record<string, unknown>[] = [];
    const ch = new RequestChannel((m) => sent.push(m), 1000, fakeTimers().timers);
    const p1 = ch.request("detail", { lo: 1 });
    const p2 = ch.request("detail", { lo: 2 });
    expect(sent).toEqual([{ type: "detail", id: 1, lo: 1 }, { type: "detail", id: 2, lo: 2 }]);
    const buf = new DataView(new ArrayBuffer(8));
    expect(ch.receive({ type: "detail", id: 2, error: null }, [buf])).toBe(true);
    expect((await p2).buffers[0]).toBe(buf);
    expect(ch.inFlight).toBe(1);
    expect(ch.receive({ type: "detail", id: 42 }, [])).toBe(false);
    ch.receive({ type: "detail", id: 1, error: "ValueError: bad window" }, []);
    await expect(p1).rejects.toThrow("bad window");
  });

  it("rejects a request that gets no reply in time", async () => {
    const ft = fakeTimers();
    const ch = new RequestChannel(() => {}, 500, ft.timers);
    const p = ch.request("detail");
    ft.advance(499);
    expect(ch.inFlight).toBe(1);
    ft.advance(1);
    await expect(p).rejects.toThrow(/no reply within 500 ms/);
    expect(ch.inFlight).toBe(0);
  });

  it("close() rejects everything waiting", async () => {
    const ch = new RequestChannel(() => {}, 500, fakeTimers().timers);
    const p = ch.request("media-chunk");
    ch.close();
    await expect(p).rejects.toThrow(/cancelled/);
  });
});

describe("binary buffers or base64 text", () => {
  it("tells intact buffers from lost or mangled ones by the declared sizes", () => {
    const four = new DataView(new ArrayBuffer(4));
    expect(brokenBuffers({ sizes: [4] }, [four])).toBeNull();
    expect(brokenBuffers({}, [])).toBeNull(); // nothing declared: nothing to check
    expect(brokenBuffers({ sizes: [4] }, [])).toMatch(/1 binary buffers were sent, 0 arrived/);
    expect(brokenBuffers({ sizes: [4] }, ["AAAAAA=="])).toMatch(/arrived as \[object String\]/);
    expect(brokenBuffers({ sizes: [8] }, [four])).toMatch(/has 4 bytes, 8 were sent/);
    expect(brokenBuffers({ sizes: [4] }, [new Uint8Array(4)])).toBeNull();
  });

  it("auto: a reply whose buffers did not arrive is asked again in base64, and so is every later request", async () => {
    const sent: Record<string, unknown>[] = [];
    const ft = fakeTimers();
    const ch = new RequestChannel((m) => sent.push(m), 1000, ft.timers);
    const p = ch.request("detail", { lo: 1 });
    expect(sent[0]).toEqual({ type: "detail", id: 1, lo: 1 });
    // The host dropped the buffers: the same request goes again, asking for text.
    expect(ch.receive({ type: "detail", id: 1, error: null, sizes: [3] }, [])).toBe(true);
    expect(sent[1]).toEqual({ type: "detail", id: 1, lo: 1, b64: true });
    expect(ch.inFlight).toBe(1);
    expect(ch.binaryBroken).toMatch(/1 binary buffers were sent, 0 arrived/);
    ch.receive({ type: "detail", id: 1, error: null, b64: [b64([1, 2, 3])] }, []);
    const { buffers } = await p;
    expect([...new Uint8Array((buffers[0] as DataView).buffer)]).toEqual([1, 2, 3]);
    void ch.request("media-chunk", { offset: 0 }).catch(() => {});
    expect(sent[2]).toEqual({ type: "media-chunk", id: 2, offset: 0, b64: true });
    ch.close();
  });

  it("base64 asks for text from the first request; binary refuses broken buffers with what to set", async () => {
    const sent: Record<string, unknown>[] = [];
    const ch = new RequestChannel((m) => sent.push(m), 1000, fakeTimers().timers);
    ch.transport = "base64";
    void ch.request("detail", { lo: 0 }).catch(() => {});
    expect(sent[0]).toMatchObject({ b64: true });
    ch.transport = "binary";
    const p = ch.request("detail", { lo: 0 });
    expect(sent[1]).not.toHaveProperty("b64");
    ch.receive({ type: "detail", id: 2, error: null, sizes: [4] }, []);
    await expect(p).rejects.toThrow(/did not arrive intact.*transport = "base64"/);
    expect(sent).toHaveLength(2);
    ch.close();
  });
});

describe("LatestOnly throttle", () => {
  it("never runs two jobs at once and runs only the latest waiting one", async () => {
    const started: number[] = [];
    const resolvers: (() => void)[] = [];
    const lo = new LatestOnly<number>((k) => {
      started.push(k);
      return new Promise<void>((r) => resolvers.push(r));
    });
    // A drag: 50 windows in a burst while the first request is in flight.
    for (let i = 0; i < 50; i++) lo.push(i);
    expect(started).toEqual([0]);
    resolvers.shift()!();
    await Promise.resolve();
    await Promise.resolve();
    expect(started).toEqual([0, 49]);
    lo.push(50);
    lo.push(51);
    resolvers.shift()!();
    await new Promise((r) => setTimeout(r, 0));
    expect(started).toEqual([0, 49, 51]);
    expect(lo.maxConcurrent).toBe(1);
  });

  it("goes on after a failed job", async () => {
    const started: number[] = [];
    const lo = new LatestOnly<number>(async (k) => {
      started.push(k);
      if (k === 0) throw new Error("kernel gone");
    });
    lo.push(0);
    lo.push(1);
    await new Promise((r) => setTimeout(r, 0));
    expect(started).toEqual([0, 1]);
    expect(lo.busy).toBe(false);
  });
});
