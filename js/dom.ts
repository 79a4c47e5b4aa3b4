/** Making the widget's elements: text only ever as text, never parsed as HTML. */

/**
 * A new `tag` element with class `cls`, `data-part` `part` (a stable hook for
 * tests), text `text` (set as textContent), appended to `parent` when given.
 */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  cls: string,
  part?: string,
  text?: string,
  parent?: HTMLElement,
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  e.className = cls;
  if (part) e.dataset.part = part;
  if (text !== undefined) e.textContent = text;
  parent?.appendChild(e);
  return e;
}
