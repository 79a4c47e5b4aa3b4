/**
 * The alignment panel's suggestions: the kernel compares a data channel with
 * the track's media (audio or motion) over a range of offsets and answers
 * with candidate alignments, best first; each can be applied with one click.
 * A suggestion decodes the media, so it may take a minute: the button waits
 * and the status line says so meanwhile. The channel picked here is also the
 * one the alignment check draws.
 */

import type { AlignClient, Suggestions } from "./alignclient";
import { candidateRows } from "./alignformat";
import { errorText, selectOf } from "./alignpanel";
import { el } from "./dom";
import { ALIGN_METHODS } from "./wire";

/** Default offsets searched (seconds, each side). */
export const SEARCH_DEFAULT: [number, number] = [-60, 60];

/** What the suggestions need from the panel. */
export interface SuggestHost {
  signal: AbortSignal;
  client: AlignClient;
  /** The panel's track, or null without media. */
  track(): string | null;
  /** The data's channels. */
  channels(): string[];
  status(text: string, error?: boolean): void;
  /** Apply a suggested alignment of `track` (no knots). */
  apply(track: string, offset: number, rate: number, knots: null): void;
  /** The channel picked changed (the check draws it). */
  channelChanged(): void;
}

/** The search range typed in, or why it cannot be used. */
export function searchRange(lo: string, hi: string): [number, number] | string {
  const a = Number(lo);
  const b = Number(hi);
  if (lo.trim() === "" || hi.trim() === "" || !Number.isFinite(a) || !Number.isFinite(b)) return "the search range needs two numbers (seconds)";
  if (!(a < b)) return "the search range's start must be below its end";
  return [a, b];
}

/** The suggestions row of the panel: channel, method, search range, the button and the candidates. */
export class AlignSuggest {
  readonly el = el("div", "tsv-align-row tsv-align-suggest", "align-suggest-row");
  private readonly channelSelect: HTMLSelectElement;
  private readonly methodSelect: HTMLSelectElement;
  private readonly lo: HTMLInputElement;
  private readonly hi: HTMLInputElement;
  private readonly button: HTMLButtonElement;
  private readonly list = el("div", "tsv-align-candidates", "align-candidates");
  /** The last suggestions, and the track they are for. */
  private result: { track: string; s: Suggestions } | null = null;
  private asking = false;

  constructor(private readonly host: SuggestHost) {
    const signal = host.signal;
    el("span", "tsv-align-caption", undefined, "Suggest from channel", this.el);
    this.channelSelect = selectOf("align-channel", [], this.el);
    this.methodSelect = selectOf("align-method", ALIGN_METHODS, this.el);
    this.methodSelect.title = "what of the media is compared with the channel";
    el("span", "tsv-align-caption", undefined, "offsets from", this.el);
    this.lo = this.number("align-search-lo", SEARCH_DEFAULT[0]);
    el("span", "tsv-align-caption", undefined, "to", this.el);
    this.hi = this.number("align-search-hi", SEARCH_DEFAULT[1]);
    el("span", "tsv-align-caption", undefined, "s", this.el);
    this.button = el("button", "tsv-tool", "align-suggest", "Suggest", this.el);
    this.button.type = "button";
    this.el.append(this.list);
    this.channelSelect.addEventListener("change", () => host.channelChanged(), { signal });
    this.button.addEventListener("click", () => void this.ask(), { signal });
    this.setChannels();
  }

  private number(part: string, value: number): HTMLInputElement {
    const input = el("input", "tsv-align-number", part, undefined, this.el);
    input.type = "number";
    input.step = "any";
    input.value = String(value);
    return input;
  }

  /** The channel picked (null when the data has none). */
  get channel(): string | null {
    return this.channelSelect.value || null;
  }

  /** Show the data's channels, keeping the one picked while it remains. */
  setChannels(): void {
    const before = this.channel;
    const names = this.host.channels();
    this.channelSelect.replaceChildren(...names.map((n) => Object.assign(el("option", "", undefined, n), { value: n })));
    if (before !== null && names.includes(before)) this.channelSelect.value = before;
    this.render();
  }

  /** Show the suggestions for the panel's track (none for another track) and whether one can be asked. */
  render(): void {
    const track = this.host.track();
    this.button.disabled = this.asking || track === null || this.channel === null;
    this.button.textContent = this.asking ? "suggesting…" : "Suggest";
    const r = this.result;
    if (!r || r.track !== track) {
      this.list.replaceChildren();
      return;
    }
    const rows = candidateRows(r.s.candidates, r.s.low_confidence).map((row, i) => {
      const c = r.s.candidates[i];
      const d = el("div", row.low ? "tsv-align-candidate tsv-align-low" : "tsv-align-candidate", "align-candidate");
      el("span", "", "align-candidate-offset", `offset ${row.offset}`, d);
      el("span", "", "align-candidate-rate", `rate ${row.rate}`, d);
      el("span", "", "align-candidate-confidence", `confidence ${row.confidence}`, d);
      el("span", "", "align-candidate-method", row.method, d);
      const b = el("button", "tsv-tool", "align-candidate-apply", "apply", d);
      b.type = "button";
      b.addEventListener("click", () => this.host.apply(r.track, c.offset, c.rate, null), { signal: this.host.signal });
      return d;
    });
    this.list.replaceChildren(...(rows.length ? rows : [el("div", "tsv-sync-empty", "align-no-candidates", "no candidates found")]));
  }

  private async ask(): Promise<void> {
    const host = this.host;
    const track = host.track();
    const channel = this.channel;
    if (track === null || channel === null || this.asking) return;
    const search = searchRange(this.lo.value, this.hi.value);
    if (typeof search === "string") return host.status(search, true);
    this.asking = true;
    this.render();
    host.status("suggesting…");
    try {
      const s = await host.client.suggest(track, channel, this.methodSelect.value, search);
      if (host.signal.aborted) return;
      this.result = { track, s };
      host.status(s.candidates.length ? `${s.candidates.length} suggestions for ${track}` : `no suggestions for ${track}`);
    } catch (err) {
      if (!host.signal.aborted) host.status(errorText(err), true);
    } finally {
      this.asking = false;
      if (!host.signal.aborted) this.render();
    }
  }
}
