/**
 * Time-axis ticks and labels in the time column's own terms.
 *
 * Charts plot relative seconds (float64 keeps microseconds over days that
 * way); ticks are chosen in the column's own terms so that they fall on round
 * numbers (numeric time) or round clock times (datetimes), then mapped back.
 * Datetimes are shown as wall-clock time in the data's own time zone, using
 * its UTC offset at the first sample.
 */

export interface TimeMeta {
  kind: "numeric" | "datetime";
  /** Unit of numeric time ("s", "ms", ...). */
  unit: string;
  /** First time: a number for numeric time. */
  t0: number | string;
  /** Datetimes: whole wall-clock seconds of the first sample (local to the data's zone). */
  t0_wall_s?: number;
  /** Datetimes: fraction of a second of the first sample, [0, 1). */
  t0_frac?: number;
}

const UNIT_SECONDS: Record<string, number> = { ns: 1e-9, us: 1e-6, ms: 1e-3, s: 1, min: 60, h: 3600 };

const CLOCK_STEPS = [
  1e-6, 2e-6, 5e-6, 1e-5, 2e-5, 5e-5, 1e-4, 2e-4, 5e-4, 1e-3, 2e-3, 5e-3, 0.01, 0.02, 0.05, 0.1,
  0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200,
  86400, 2 * 86400, 7 * 86400, 14 * 86400, 28 * 86400, 91 * 86400, 182 * 86400, 364 * 86400,
];

/** Seconds per unit of a numeric time column. */
export function unitSeconds(meta: TimeMeta): number {
  return meta.kind === "numeric" ? (UNIT_SECONDS[meta.unit] ?? 1) : 1;
}

/** The smallest 1-2-5 step >= `raw`. */
export function niceStep(raw: number): number {
  if (!(raw > 0) || !Number.isFinite(raw)) return 1;
  const p = Math.pow(10, Math.floor(Math.log10(raw)));
  for (const m of [1, 2, 5, 10]) if (m * p >= raw * (1 - 1e-12)) return m * p;
  return 10 * p;
}

/** The smallest clock step (seconds) >= `raw`. */
export function clockStep(raw: number): number {
  for (const s of CLOCK_STEPS) if (s >= raw * (1 - 1e-12)) return s;
  return niceStep(raw / 86400) * 86400;
}

/** Step between ticks for a visible range of `min`..`max` relative seconds. */
export function tickStep(min: number, max: number, maxTicks: number, meta: TimeMeta): number {
  const n = Math.max(1, maxTicks);
  if (meta.kind === "numeric") return niceStep((max - min) / unitSeconds(meta) / n);
  return clockStep((max - min) / n);
}

function mod(a: number, m: number): number {
  return ((a % m) + m) % m;
}

/** Phase of relative time 0 within a clock step, so that ticks land on round wall-clock times. */
function clockPhase(step: number, meta: TimeMeta): number {
  const w = meta.t0_wall_s ?? 0;
  const f = meta.t0_frac ?? 0;
  if (step >= 1) return mod(mod(w, step) + f, step);
  return mod(f, step);
}

/** Tick positions (relative seconds) between `min` and `max`. */
export function ticks(min: number, max: number, maxTicks: number, meta: TimeMeta): number[] {
  const step = tickStep(min, max, maxTicks, meta);
  const out: number[] = [];
  if (meta.kind === "numeric") {
    const us = unitSeconds(meta);
    const t0 = Number(meta.t0);
    const first = Math.ceil((t0 + min / us) / step - 1e-9) * step;
    for (let k = 0; k < 1000; k++) {
      const own = first + k * step;
      const rel = (own - t0) * us;
      if (rel > max + 1e-9 * Math.max(1, Math.abs(max))) break;
      out.push(rel);
    }
    return out;
  }
  const phase = clockPhase(step, meta);
  const first = Math.ceil((min + phase) / step - 1e-9) * step - phase;
  for (let k = 0; k < 1000; k++) {
    const rel = first + k * step;
    if (rel > max + 1e-9) break;
    out.push(rel);
  }
  return out;
}

function pad(n: number, w = 2): string {
  return String(n).padStart(w, "0");
}

function decimalsFor(step: number): number {
  if (!(step > 0)) return 0;
  return Math.max(0, Math.min(9, Math.ceil(-Math.log10(step) - 1e-9)));
}

/** Wall-clock parts of relative time `rel`: a UTC-shifted Date (whole seconds) and the fraction. */
function wall(rel: number, meta: TimeMeta): { date: Date; frac: number } {
  const f = (meta.t0_frac ?? 0) + rel;
  const whole = Math.floor(f);
  return { date: new Date(((meta.t0_wall_s ?? 0) + whole) * 1000), frac: f - whole };
}

function ymd(d: Date): string {
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
}

function hms(d: Date, frac: number, decimals: number): string {
  let s = `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
  if (decimals > 0) s += "." + frac.toFixed(decimals).slice(2);
  return s;
}

/** Label of a tick at `rel` when ticks are `step` apart (seconds or own units). */
export function formatTick(rel: number, step: number, meta: TimeMeta): string {
  if (meta.kind === "numeric") {
    const own = Number(meta.t0) + rel / unitSeconds(meta);
    return own.toFixed(decimalsFor(step));
  }
  const { date, frac } = wall(rel, meta);
  if (step >= 86400) return ymd(date);
  if (step >= 60) return `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}`;
  // Guard against 0.9999999 rounding up to "1.000" in the fraction.
  const dec = decimalsFor(step);
  const rounded = Math.round(frac * 10 ** dec) / 10 ** dec;
  if (rounded >= 1) return hms(new Date(date.getTime() + 1000), 0, dec);
  return hms(date, rounded, dec);
}

/** Full-precision label of one time, for the cursor legend. */
export function formatTime(rel: number, meta: TimeMeta): string {
  if (meta.kind === "numeric") {
    const own = Number(meta.t0) + rel / unitSeconds(meta);
    // Microsecond resolution, whatever the unit.
    return `${own.toFixed(decimalsFor(1e-6 / unitSeconds(meta)))} ${meta.unit}`;
  }
  const { date, frac } = wall(rel, meta);
  const rounded = Math.min(Math.round(frac * 1e6) / 1e6, 0.999999);
  return `${ymd(date)} ${hms(date, rounded, 6)}`;
}

/** Date label to show under the first tick and wherever the day changes, or "". */
export function dayLabel(rel: number, prevRel: number | null, meta: TimeMeta): string {
  if (meta.kind !== "datetime") return "";
  const d = ymd(wall(rel, meta).date);
  if (prevRel === null || ymd(wall(prevRel, meta).date) !== d) return d;
  return "";
}
