import fs from "node:fs";
import { chromium, type Browser, type Page } from "playwright-core";

/** Debian's chromium (`apt-get install chromium`, done by .ci/run when missing); CAO_CHROMIUM overrides the path. */
export const CHROMIUM = process.env.CAO_CHROMIUM ?? "/usr/bin/chromium";

/** A real headless Chromium. As root (CI, this machine) Chromium's sandbox cannot start, hence --no-sandbox. */
export async function launchBrowser(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM))
    throw new Error(
      `no Chromium at ${CHROMIUM}: install Debian's chromium package (apt-get install chromium) or set CAO_CHROMIUM`,
    );
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
  });
}

const pageProblems = new WeakMap<Page, string[]>();

/**
 * The dashboard of the server at `url` in a new page of `browser`, once its live feed says `live`. The page's
 * uncaught errors are collected for `problemsOf`; the caller closes the page.
 */
export async function openDashboard(
  browser: Browser,
  url: string,
  viewport: { width: number; height: number },
): Promise<Page> {
  const page = await browser.newPage({ viewport });
  const problems: string[] = [];
  pageProblems.set(page, problems);
  page.on("pageerror", (error) => problems.push(error.message));
  await page.goto(url + "/");
  await page.getByTestId("feed-status").filter({ hasText: "live" }).waitFor();
  return page;
}

/** The uncaught errors of a page opened by openDashboard, so far. */
export function problemsOf(page: Page): string[] | undefined {
  return pageProblems.get(page);
}
