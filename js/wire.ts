/**
 * Wire constants shared with the kernel: one spec, tsvideo_widget/wire.json,
 * read by the kernel (wire.py) and bundled here by esbuild.
 */

import spec from "../tsvideo_widget/wire.json";

/** Type of the browser's region-edit request (string). */
export const EDIT_MESSAGE: string = spec.edit.message;
/** How long an edit waits for the kernel's reply before it counts as unanswered (ms). */
export const EDIT_TIMEOUT_MS: number = spec.edit.timeout_ms;
/** Pause before pending edits are sent again after no reply or a failed send (ms). */
export const EDIT_RETRY_MS: number = spec.edit.retry_ms;
/** Type of the kernel's unprompted note that a change from the browser was refused (string). */
export const REJECTED_MESSAGE: string = spec.rejected.message;
/** IndexedDB database that keeps edits not yet acknowledged (string). */
export const PENDING_DB: string = spec.pending_store.db;
/** Object store in PENDING_DB, keyed by the widget's `_store_key` (string). */
export const PENDING_STORE: string = spec.pending_store.store;
/** Schema version of PENDING_DB (integer). */
export const PENDING_VERSION: number = spec.pending_store.version;
/** Bytes asked of the kernel per media chunk message. */
export const MEDIA_CHUNK_BYTES: number = spec.media_chunk_bytes;
/** Most columns a detail request may ask for (integer). */
export const MAX_DETAIL_BUCKETS: number = spec.max_detail_buckets;
/** Column widths of decimated windows are powers of 2 ** (1 / COLUMN_LADDER) seconds (decimate.py column_width). */
export const COLUMN_LADDER: number = spec.column_ladder;
/** Columns of the overview (the whole span); asked for again when its buffers were lost. */
export const OVERVIEW_BUCKETS: number = spec.overview_buckets;
/** Request types of the alignment panel (fit, apply, undo, suggest, feature); see tsvideo_widget/alignrequests.py. */
export const ALIGN = {
  fit: spec.align.fit,
  apply: spec.align.apply,
  undo: spec.align.undo,
  suggest: spec.align.suggest,
  feature: spec.align.feature,
} as const;
/** How long a fit, apply or undo request waits for the kernel (ms). */
export const ALIGN_TIMEOUT_MS: number = spec.align.timeout_ms;
/** How long a suggestion waits (it decodes the media: up to a minute per hour of video) (ms). */
export const ALIGN_SUGGEST_TIMEOUT_MS: number = spec.align.suggest_timeout_ms;
/** How long the alignment check's media feature request waits (ms). */
export const ALIGN_FEATURE_TIMEOUT_MS: number = spec.align.feature_timeout_ms;
/** Alignments kept for "undo alignment", per widget (integer). */
export const ALIGN_UNDO_DEPTH: number = spec.align.undo_depth;
/** Fit models the panel offers ("auto" first). */
export const ALIGN_MODELS: readonly string[] = spec.align.models;
/** Suggestion methods the panel offers ("auto" first). */
export const ALIGN_METHODS: readonly string[] = spec.align.methods;
/** The compact layout of decimated windows (tsvideo_widget/transport.py `pack_compact`). */
export const COMPACT = {
  /** The `layout` a compact reply declares. */
  layout: spec.compact.layout,
  /** The `layout` of a raw window packed for a slow link (implicit times, packed values). */
  rawLayout: spec.compact.raw_layout,
  /** The int16 code of NaN. */
  nanCode: spec.compact.nan_code,
  /** Codes above a channel's minimum: 0..codeSpan (absolute codes are offset by codeSpan / 2). */
  codeSpan: spec.compact.code_span,
  /** Levels of a point's time inside its column (one byte). */
  fracLevels: spec.compact.frac_levels,
  /** Value levels per device pixel of chart height a slow link's requests ask for (`levels`). */
  levelsPerPx: spec.compact.levels_per_px,
} as const;
/**
 * Field of a detail reply's header holding the kernel's own handling time (ms, float): from the
 * request reaching the kernel's handler to the reply being sent. The link meter (link.ts)
 * subtracts it from the round trip, so compute time is not taken for the wire's.
 */
export const KERNEL_MS_FIELD: string = spec.reply.kernel_ms;
