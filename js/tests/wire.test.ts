import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { MAX_BUCKETS } from "../detail";
import { CHUNK_BYTES } from "../media";
import * as wire from "../wire";

const spec = JSON.parse(readFileSync(new URL("../../tsvideo_widget/wire.json", import.meta.url), "utf-8"));

describe("wire constants come from the spec the kernel reads", () => {
  it("exports every constant from wire.json", () => {
    expect(wire).toMatchObject({
      EDIT_MESSAGE: spec.edit.message,
      EDIT_TIMEOUT_MS: spec.edit.timeout_ms,
      EDIT_RETRY_MS: spec.edit.retry_ms,
      REJECTED_MESSAGE: spec.rejected.message,
      PENDING_DB: spec.pending_store.db,
      PENDING_STORE: spec.pending_store.store,
      PENDING_VERSION: spec.pending_store.version,
      MEDIA_CHUNK_BYTES: spec.media_chunk_bytes,
      MAX_DETAIL_BUCKETS: spec.max_detail_buckets,
    });
  });
  it("sizes media chunks and detail requests by it", () => {
    expect(CHUNK_BYTES).toBe(spec.media_chunk_bytes);
    expect(MAX_BUCKETS).toBe(spec.max_detail_buckets);
  });
});
