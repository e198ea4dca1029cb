/**
 * The live terminal view: `GET /terminals/:terminal_id/screen` (docs/contract.md#terminals) read with a plain SSE
 * client, and the dashboard's terminal panel in a real headless Chromium against a real `cao server` child with real
 * tmux and the mock agent: the pane's text shows and follows the agent without a reload, typing in the page reaches
 * the agent, and an agent waiting for the user's answer is highlighted with its prompt and answered from the page.
 */
import fs from "node:fs";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchBrowser, openDashboard as openDashboardPage, problemsOf } from "./helpers/browser.js";
import { removeTempDirs } from "./helpers/fs-fixtures.js";
import { openSse } from "./helpers/sse.js";
import { startServerProcess, stopServerProcesses, type ServerProcess } from "./helpers/server-process.js";
import { waitFor } from "./helpers/wait.js";

let server: ServerProcess;
let browser: Browser;
const pages: Page[] = [];

beforeAll(async () => {
  [server, browser] = await Promise.all([startServerProcess(), launchBrowser()]);
}, 60_000);
afterAll(async () => {
  for (const page of pages) await page.close().catch(() => undefined);
  await browser?.close();
  await stopServerProcesses();
  removeTempDirs();
});

async function launch(name: string): Promise<string> {
  const { status, body } = await server.http("POST", "/sessions", {
    provider: "mock",
    agent_profile: "developer",
    session_name: name,
  });
  expect(status, JSON.stringify(body)).toBe(201);
  await waitFor(
    async () => (await server.http("GET", `/terminals/${body.id}`)).body.status === "idle",
    20_000,
    `terminal ${body.id} idle`,
    100,
  );
  return body.id;
}

async function openDashboard(): Promise<Page> {
  const page = await openDashboardPage(browser, server.url, { width: 1400, height: 1000 });
  pages.push(page);
  return page;
}

describe("GET /terminals/:terminal_id/screen", () => {
  it("sends the screen at once and again when it changes, ends with gone when the terminal goes; 404 and 400 before any stream", async () => {
    const id = await launch("stream");
    const stream = await openSse(server.url, `/terminals/${id}/screen`);
    expect(stream.status).toBe(200);
    expect(stream.headers["content-type"]).toMatch(/^text\/event-stream/);
    await stream.waitForEvents(1);
    expect(stream.events[0]!.event).toBe("screen");
    expect(stream.events[0]!.data.screen).toContain("mock>");
    expect(stream.events[0]!.data.screen).not.toContain("streamed words");

    expect((await server.http("POST", `/terminals/${id}/input`, { message: "streamed words" })).status).toBe(200);
    await waitFor(
      () =>
        stream.events.some(
          (e) => e.event === "screen" && e.data.screen.includes("Mock answer (developer): streamed words"),
        ),
      10_000,
      "the answer in a screen event",
    );
    // Only changes are sent: no two frames in a row are the same screen.
    const screens = stream.events.map((e) => e.data.screen as string);
    expect(screens.every((s, i) => i === 0 || s !== screens[i - 1])).toBe(true);

    expect((await server.http("DELETE", `/terminals/${id}`)).status).toBe(200);
    await stream.ended;
    const last = stream.events[stream.events.length - 1]!;
    expect(last.event).toBe("gone");
    expect(last.data.detail).toContain(id);

    const unknown = await server.http("GET", "/terminals/deadbeef/screen");
    expect(unknown.status).toBe(404);
    expect(unknown.body.detail).toContain("deadbeef");
    const malformed = await server.http("GET", "/terminals/NOPE/screen");
    expect(malformed.status).toBe(400);
    expect(malformed.body.detail).toMatch(/terminal_id/);
  }, 90_000);
});

describe("the dashboard's terminal view", () => {
  it("shows a terminal's live pane, and what is typed in the page reaches the agent", async () => {
    const id = await launch("viewed");
    const page = await openDashboard();
    await page.getByRole("button", { name: `View the screen of terminal ${id}` }).click();
    const view = page.getByTestId("terminal-view");
    const screen = view.getByTestId("terminal-screen");
    await screen.filter({ hasText: "CAO mock agent" }).waitFor();
    await view.getByTestId("screen-status").filter({ hasText: "live" }).waitFor();

    // Typed through the page's own form (POST /terminals/:id/input): the answer shows up in the live pane.
    await view.getByLabel(`Type into terminal ${id}`).fill("hello from the page");
    await view.getByRole("button", { name: "Type into the terminal" }).click();
    await screen.filter({ hasText: "Mock answer (developer): hello from the page" }).waitFor({ timeout: 15_000 });
    expect(await server.http("GET", `/terminals/${id}/output?mode=last`)).toMatchObject({
      body: { output: expect.stringContaining("hello from the page") },
    });

    // Keys from the buttons (POST /terminals/:id/key): 3 is typed at the prompt, Enter submits it.
    await view.getByRole("button", { name: "Press 3", exact: true }).click();
    await screen.filter({ hasText: /mock> 3\s*$/ }).waitFor({ timeout: 10_000 });
    await view.getByRole("button", { name: "Press Enter", exact: true }).click();
    await screen.filter({ hasText: "Mock answer (developer): 3" }).waitFor({ timeout: 15_000 });
    expect(problemsOf(page)).toEqual([]);
  }, 90_000);

  it("highlights an agent waiting for the user, shows its prompt, and answers it with the y button", async () => {
    const id = await launch("asking");
    expect((await server.http("POST", `/terminals/${id}/input`, { message: "may I deploy? [[ask]]" })).status).toBe(
      200,
    );
    await waitFor(
      async () => (await server.http("GET", `/terminals/${id}`)).body.status === "waiting_user_answer",
      20_000,
      "waiting_user_answer",
      100,
    );
    const page = await openDashboard();
    // Nothing chosen yet: the waiting terminal is the one shown, marked, with its question on screen.
    const view = page.getByTestId("terminal-view");
    await view.getByTestId("waiting-banner").filter({ hasText: id }).waitFor();
    expect(await view.getAttribute("class")).toContain("waiting");
    await view.getByTestId("terminal-screen").filter({ hasText: "Allow this action? [y/n]" }).waitFor();
    expect(await page.locator(`tr[data-terminal="${id}"]`).getAttribute("class")).toContain("row-waiting");

    const shot = await page.locator(".column").first().screenshot();
    fs.mkdirSync(".tmp", { recursive: true });
    fs.writeFileSync(".tmp/dashboard-terminal-view.png", shot);
    // `CAO_UPDATE_SCREENSHOT=1 npx vitest run test/dashboard-terminal-view.test.ts` refreshes the docs' picture.
    if (process.env.CAO_UPDATE_SCREENSHOT === "1") fs.writeFileSync("docs/dashboard-terminal-view.png", shot);

    await view.getByRole("button", { name: "Press y", exact: true }).click();
    // Generous: on a loaded CI machine the key, the agent's answer and the next screen frame each take a while.
    await view
      .getByTestId("terminal-screen")
      .filter({ hasText: "Mock answer (developer): may I deploy?" })
      .waitFor({ timeout: 40_000 })
      .catch(async (error: Error) => {
        // Which side lost it: the agent's own screen says whether the key arrived and the answer was printed.
        const pane = (await server.http("GET", `/terminals/${id}/output`)).body.output as string;
        const shown = await view.getByTestId("terminal-screen").textContent();
        throw new Error(
          `${error.message}\n--- the agent's screen ---\n${pane.slice(-800)}\n--- the page ---\n${shown?.slice(-800)}`,
        );
      });
    await view.getByTestId("waiting-banner").waitFor({ state: "detached", timeout: 20_000 });
    expect((await server.http("GET", `/terminals/${id}`)).body.status).toBe("completed");
    expect(problemsOf(page)).toEqual([]);
  }, 90_000);
});
