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
/** Columns of the overview (the whole span); asked for again when its buffers were lost. */
export const OVERVIEW_BUCKETS: number = spec.overview_buckets;
