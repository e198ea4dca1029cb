import fs from "node:fs";
import { chromium, type Browser } from "playwright-core";

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
