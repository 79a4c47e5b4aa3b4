/**
 * Texts of the alignment panel as pure functions: a fit's summary and
 * residuals, a suggestion's row, and a mapping's kind. Numbers are formatted
 * by syncpoints.ts.
 */

import type { Candidate, Fit } from "./alignclient";
import { formatMs, formatOffset, formatPpm } from "./syncpoints";
import type { TimeMap } from "./timemap";

/** One line about fit `fit`: model, offset, rate in ppm, rms and max residuals. */
export function fitSummary(fit: Fit): string {
  const knots = fit.knots && fit.knots.length ? `, ${fit.knots.length} knots` : "";
  return `${fit.model} fit: offset ${formatOffset(fit.offset)}, rate ${formatPpm(fit.rate)}${knots}; rms ${formatMs(fit.rms_ms)}, max ${formatMs(fit.max_ms)}`;
}

/** Each sync point's residual under fit `fit` (ms), by id. */
export function fitResiduals(fit: Fit | null): Map<string, number> {
  return new Map((fit?.residuals ?? []).map((r) => [r.id, r.residual_ms]));
}

/** What a suggestion's row shows. */
export interface CandidateRow {
  offset: string;
  rate: string;
  confidence: string;
  /** Below the kernel's `low_confidence`: shown as doubtful. */
  low: boolean;
  method: string;
}

/** The rows of suggestions `candidates`, in their order (best first). */
export function candidateRows(candidates: readonly Candidate[], lowConfidence: number): CandidateRow[] {
  return candidates.map((c) => ({
    offset: formatOffset(c.offset),
    rate: formatPpm(c.rate),
    confidence: `${c.confidence.toFixed(2)}${c.confidence < lowConfidence ? " (low)" : ""}`,
    low: c.confidence < lowConfidence,
    method: c.method,
  }));
}

/** Knots of a piecewise mapping (0 for an offset/rate mapping: fewer than two knots are none). */
export function knotCount(m: TimeMap): number {
  const n = m.knots?.length ?? 0;
  return n >= 2 ? n : 0;
}
