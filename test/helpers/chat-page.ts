/**
 * Reading and driving the local chat page (local/dev-server/chat-page.*) in browser tests: its message lines, the
 * wait for one, and submitting a form.
 */
import type { Page } from 'playwright-core';

/** How long a browser test waits for the page to show something. */
export const PAGE_WAIT_MS = 15_000;

/** Texts of the page's message list, in order. */
export function lines(page: Page): Promise<string[]> {
  return page.$$eval('#messages li', (items) => items.map((item) => item.textContent ?? ''));
}

/** Waits until the message list holds a line equal to `text`. */
export async function seeLine(page: Page, text: string): Promise<void> {
  await page
    .waitForFunction(
      (wanted) => Array.from(document.querySelectorAll('#messages li')).some((item) => item.textContent === wanted),
      text,
      { timeout: PAGE_WAIT_MS, polling: 50 },
    )
    .catch(async (error: Error) => {
      throw new Error(`no line ${JSON.stringify(text)} on the page; lines: ${JSON.stringify(await lines(page))}`, {
        cause: error,
      });
    });
}

/** Fills `field` and submits its form with `button` (or Enter), on the page brought to the front. */
export async function submit(page: Page, field: string, text: string, button?: string): Promise<void> {
  await page.bringToFront(); // a background tab's animation frames are throttled, which slows every action
  await page.fill(field, text);
  await (button ? page.click(button) : page.press(field, 'Enter'));
}
