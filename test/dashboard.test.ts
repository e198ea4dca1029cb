/**
 * The web dashboard (docs/contract.md#events `GET /`) in a real headless Chromium against a real `cao server` child (real tmux,
 * the mock agent, a real drop-in plugin): what it renders from the GET routes, what it changes live from `/events`
 * without a reload, and what its buttons do through the real routes (HTTP API, config.yaml and management routes). Plus the static route itself: cache
 * headers, the JSON 404 for API clients, and the request gate (HTTP API, security) left as it was. And the agent
 * timeline, from what the mock agent reports through its hooks (as Claude Code does) to the real route.
 */
import fs from "node:fs";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { removeTempDirs, tempDir } from "./helpers/fs-fixtures.js";
import { launchBrowser } from "./helpers/browser.js";
import { pluginFixture } from "./helpers/plugin-fixtures.js";
import { rawRequest } from "./helpers/raw-http.js";
import { startServerProcess, stopServerProcesses, type ServerProcess } from "./helpers/server-process.js";

// "broken" fails in setup: its row must show the status failed and the error.
const PLUGINS = { "tally.ts": pluginFixture("tally.ts"), "broken.ts": pluginFixture("failing-setup.ts") };

let server: ServerProcess;
let browser: Browser;
const pages: Page[] = [];

beforeAll(async () => {
  [server, browser] = await Promise.all([startServerProcess({ plugins: PLUGINS }), launchBrowser()]);
}, 60_000);
afterAll(async () => {
  for (const page of pages) await page.close().catch(() => undefined);
  await browser?.close();
  await stopServerProcesses();
  removeTempDirs();
});

/** A fresh tab on the dashboard, once its first state is on screen (the feed connected). */
async function openDashboard(): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  pages.push(page);
  const problems: string[] = [];
  page.on("pageerror", (error) => problems.push(error.message));
  // Chromium logs every non-2xx answer as a console error; the tests that provoke one check the page's own alert instead.
  page.on(
    "console",
    (message) =>
      message.type() === "error" &&
      !message.text().startsWith("Failed to load resource") &&
      problems.push(message.text()),
  );
  (page as Page & { problems?: string[] }).problems = problems;
  await page.goto(server.url + "/");
  await page.getByTestId("feed-status").filter({ hasText: "live" }).waitFor();
  // Marks this document: if the page reloaded itself, the mark would be gone.
  await page.evaluate(() => ((globalThis as unknown as { caoMark: number }).caoMark = 42));
  return page;
}

async function stillSameDocument(page: Page): Promise<void> {
  expect(await page.evaluate(() => (globalThis as unknown as { caoMark?: number }).caoMark)).toBe(42);
  expect((page as Page & { problems?: string[] }).problems).toEqual([]);
}

async function launch(name: string): Promise<{ id: string; session_name: string }> {
  const { status, body } = await server.http("POST", "/sessions", {
    provider: "mock",
    agent_profile: "developer",
    session_name: name,
  });
  expect(status, JSON.stringify(body)).toBe(201);
  return body;
}

const statusOf = (page: Page, terminalId: string) =>
  page.locator(`[data-terminal="${terminalId}"] [data-testid="terminal-status"]`);

describe("the dashboard route", () => {
  it("serves the built page at / with revalidation, hashed assets cached for good, and a policy that forbids framing", async () => {
    const page = await rawRequest(server.url, "GET", "/");
    expect(page.status).toBe(200);
    expect(page.headers["content-type"]).toMatch(/^text\/html/);
    expect(page.headers["cache-control"]).toBe("no-cache");
    expect(page.headers["content-security-policy"]).toContain("frame-ancestors 'none'");
    expect(page.headers["x-frame-options"]).toBe("DENY");
    const again = await rawRequest(server.url, "GET", "/", {
      headers: { "if-none-match": page.headers.etag as string },
    });
    expect(again.status).toBe(304);
    expect(again.body).toBe("");

    const scripts = [...page.body.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1]!);
    expect(scripts.some((s) => s.endsWith(".js"))).toBe(true);
    for (const asset of scripts) {
      const answer = await rawRequest(server.url, "GET", asset);
      expect(answer.status, asset).toBe(200);
      expect(answer.headers["cache-control"]).toBe("public, max-age=31536000, immutable");
      expect(answer.headers["content-type"]).toMatch(asset.endsWith(".js") ? /^text\/javascript/ : /^text\/css/);
    }
    // Nothing in the page reaches beyond this server: no CDN, no absolute URL.
    expect(page.body).not.toMatch(/(?:src|href)="(?:https?:)?\/\//);
  });

  it("keeps the JSON 404 for unknown paths and assets, and the API routes beside it", async () => {
    for (const route of ["/nope", "/assets/missing.js", "/index.html", "/assets/../package.json"]) {
      const answer = await rawRequest(server.url, "GET", route);
      expect(answer.status, route).toBe(404);
      expect(answer.headers["content-type"], route).toMatch(/^application\/json/);
      expect(JSON.parse(answer.body).detail, route).toMatch(/no route GET|not found/i);
    }
    expect((await server.http("GET", "/health")).body).toEqual({ status: "ok", service: "cli-agent-orchestrator" });
    expect((await server.http("GET", "/plugins")).status).toBe(200);
  });

  it("leaves the request gate as it was: a foreign Host is refused for the page, a foreign Origin for a POST, the page's own Origin passes", async () => {
    const rebinding = await rawRequest(server.url, "GET", "/", {
      headers: { host: `attacker.example:${server.port}` },
    });
    expect(rebinding.status).toBe(400);
    const body = JSON.stringify({ provider: "mock", agent_profile: "no such profile!" });
    const headers = { "content-type": "application/json" };
    const foreign = await rawRequest(server.url, "POST", "/sessions", {
      headers: { ...headers, origin: "http://evil.example" },
      body,
    });
    expect(foreign.status).toBe(403);
    // The dashboard's own origin, as Chromium sends it: through the gate (then refused by validation, changing nothing).
    const own = await rawRequest(server.url, "POST", "/sessions", {
      headers: { ...headers, origin: `http://127.0.0.1:${server.port}` },
      body,
    });
    expect(own.status).toBe(400);
    expect((await server.http("GET", "/sessions")).body).toEqual([]);
  });
});

// Each test starts mock agents in tmux and waits for real screens: generous on a loaded two-core machine.
describe("the dashboard in a headless browser", { timeout: 90_000 }, () => {
  it("renders the sessions, their terminals with agent, provider and status, and the plugins with their hooks and errors", async () => {
    const terminal = await launch("render");
    const page = await openDashboard();
    const session = page.locator('[data-session="cao-render"]');
    await session.waitFor();
    const row = session.locator(`[data-terminal="${terminal.id}"]`);
    await expect(row.locator("td").nth(1).textContent()).resolves.toBe("developer");
    await expect(row.locator("td").nth(2).textContent()).resolves.toBe("mock");
    const status = (await server.http("GET", `/terminals/${terminal.id}`)).body.status as string;
    await statusOf(page, terminal.id)
      .filter({ hasText: status.replace(/_/g, " ") })
      .waitFor();

    const plugin = page.locator('[data-plugin="tally"]');
    await plugin.locator('[data-testid="plugin-status"]').filter({ hasText: "active" }).waitFor();
    const hooks = await plugin.locator(".chip").allTextContents();
    expect(hooks.sort()).toEqual(["message_sent", "session_created"]);
    const broken = page.locator('[data-plugin="broken"]');
    await broken.locator('[data-testid="plugin-status"]').filter({ hasText: "failed" }).waitFor();
    expect(await broken.locator(".plugin-error").textContent()).toContain("cannot reach the ticket tracker");
    await stillSameDocument(page);
  });

  it("shows a session created over REST, and a terminal's status changes, live without reloading", async () => {
    const page = await openDashboard();
    const terminal = await launch("live");
    await page.locator('[data-session="cao-live"]').locator(`[data-terminal="${terminal.id}"]`).waitFor();
    await statusOf(page, terminal.id).filter({ hasText: "idle" }).waitFor({ timeout: 20_000 });

    // The mock agent stays busy for the [[delay]] it is given, then answers: idle → processing → completed.
    const typed = await server.http("POST", `/terminals/${terminal.id}/input`, {
      message: "work on it [[delay=2500]]",
    });
    expect(typed.status, JSON.stringify(typed.body)).toBe(200);
    await statusOf(page, terminal.id).filter({ hasText: "processing" }).waitFor({ timeout: 20_000 });
    await statusOf(page, terminal.id).filter({ hasText: "completed" }).waitFor({ timeout: 20_000 });
    await page.locator('[data-testid="event-log"] li', { hasText: "terminal_status_changed" }).first().waitFor();

    // And gone again when the session ends.
    expect((await server.http("DELETE", "/sessions/cao-live")).status).toBe(200);
    await page.locator('[data-session="cao-live"]').waitFor({ state: "detached" });
    await stillSameDocument(page);
  });

  it("keeps the longest status, waiting_user_answer, inside its table cell", async () => {
    const terminal = await launch("asking");
    const page = await openDashboard();
    const badge = statusOf(page, terminal.id);
    await badge.filter({ hasText: "idle" }).waitFor({ timeout: 20_000 });
    // The mock agent asks before answering a message carrying [[ask]], and waits for the user.
    const typed = await server.http("POST", `/terminals/${terminal.id}/input`, { message: "may I go ahead? [[ask]]" });
    expect(typed.status, JSON.stringify(typed.body)).toBe(200);
    await badge.filter({ hasText: "waiting user answer" }).waitFor({ timeout: 20_000 });

    fs.mkdirSync(".tmp", { recursive: true });
    fs.writeFileSync(".tmp/dashboard-long-status.png", await page.locator('[data-session="cao-asking"]').screenshot());
    // The badge's box against its cell's content box (the cell less its padding): nothing reaches the next column.
    const { badgeBox, cellBox } = await badge.evaluate((element) => {
      const cell = element.closest("td")!;
      const style = element.ownerDocument.defaultView!.getComputedStyle(cell);
      const outer = cell.getBoundingClientRect();
      const inner = element.getBoundingClientRect();
      return {
        badgeBox: { left: inner.left, right: inner.right, top: inner.top, bottom: inner.bottom },
        cellBox: {
          left: outer.left + parseFloat(style.paddingLeft),
          right: outer.right - parseFloat(style.paddingRight),
          top: outer.top + parseFloat(style.paddingTop),
          bottom: outer.bottom - parseFloat(style.paddingBottom),
        },
      };
    });
    const inside = `badge ${JSON.stringify(badgeBox)} inside cell ${JSON.stringify(cellBox)}`;
    expect(badgeBox.left, inside).toBeGreaterThanOrEqual(cellBox.left);
    expect(badgeBox.right, inside).toBeLessThanOrEqual(cellBox.right);
    expect(badgeBox.top, inside).toBeGreaterThanOrEqual(cellBox.top);
    expect(badgeBox.bottom, inside).toBeLessThanOrEqual(cellBox.bottom);
    await stillSameDocument(page);
  });

  it("launches a session from its form", async () => {
    const page = await openDashboard();
    const form = page.getByTestId("launch-form");
    await form.getByLabel("Provider").selectOption("mock");
    await form.getByLabel("Agent profile").fill("reviewer");
    await form.getByLabel("Session name").fill("from-page");
    await page.getByRole("button", { name: "Launch session" }).click();
    await form.getByRole("status").filter({ hasText: "launched cao-from-page" }).waitFor();
    await page.locator('[data-session="cao-from-page"] td', { hasText: "reviewer" }).waitFor();

    const created = (await server.http("GET", "/sessions/cao-from-page/terminals")).body as {
      id: string;
      agent_profile: string;
    }[];
    expect(created.map((t) => t.agent_profile)).toEqual(["reviewer"]);
    await page.locator(`[data-terminal="${created[0]!.id}"]`).waitFor();

    // A bad launch shows the server's reason and creates nothing.
    await form.getByLabel("Agent profile").fill("no-such-profile");
    await form.getByLabel("Session name").fill("never");
    await page.getByRole("button", { name: "Launch session" }).click();
    await form.getByRole("alert").waitFor();
    expect((await server.http("GET", "/sessions/cao-never")).status).toBe(404);
    await stillSameDocument(page);
  });

  it("sends a message from one terminal to another through the inbox, and draws it in the flow as it is delivered", async () => {
    const sender = await launch("sender");
    const receiver = await launch("receiver");
    const page = await openDashboard();
    await statusOf(page, receiver.id)
      .filter({ hasText: /idle|completed/ })
      .waitFor({ timeout: 20_000 });

    await page.getByRole("button", { name: `Send a message to terminal ${receiver.id}` }).click();
    const form = page.getByTestId("send-form");
    await form.getByLabel("From").selectOption(sender.id);
    await form.getByLabel("Message", { exact: true }).fill("please review the parser");
    await page.getByRole("button", { name: "Send message" }).click();
    await form.getByRole("status").filter({ hasText: "queued as inbox message" }).waitFor();

    const arrow = page.locator(
      `[data-testid="flow"] g.message[data-sender="${sender.id}"][data-receiver="${receiver.id}"]`,
    );
    await arrow.and(page.locator('[data-state="delivered"]')).waitFor({ timeout: 20_000 });
    expect(await arrow.count()).toBe(1); // inbox_message_delivered and message_sent make one arrow, not two
    expect(await arrow.textContent()).toContain("please review the parser");
    const inbox = (await server.http("GET", `/terminals/${receiver.id}/inbox/messages`)).body as { status: string }[];
    expect(inbox.map((m) => m.status)).toEqual(["delivered"]);

    // Typed directly ("you"): reaches the terminal (it gets busy), with no sender to draw.
    await form.getByLabel("From").selectOption("");
    await form.getByLabel("Message", { exact: true }).fill("and add a test [[delay=2500]]");
    await page.getByRole("button", { name: "Send message" }).click();
    await form
      .getByRole("status")
      .filter({ hasText: `typed into ${receiver.id}` })
      .waitFor();
    await statusOf(page, receiver.id).filter({ hasText: "processing" }).waitFor({ timeout: 20_000 });

    // Messages sent elsewhere (an agent's assign, a reply through the inbox) are drawn live too.
    const assigned = await server.http("POST", `/terminals/${receiver.id}/input`, {
      message: "write the docs",
      sender_id: sender.id,
      orchestration_type: "assign",
    });
    expect(assigned.status, JSON.stringify(assigned.body)).toBe(200);
    const reply = await server.http("POST", `/terminals/${sender.id}/inbox/messages`, {
      sender_id: receiver.id,
      message: "parser reviewed: two nits",
    });
    expect(reply.status, JSON.stringify(reply.body)).toBe(200);
    await page
      .locator(`[data-testid="flow"] g.message.kind-assign[data-sender="${sender.id}"][data-receiver="${receiver.id}"]`)
      .waitFor();
    await page
      .locator(
        `[data-testid="flow"] g.message[data-sender="${receiver.id}"][data-receiver="${sender.id}"][data-state="delivered"]`,
      )
      .waitFor({ timeout: 20_000 });
    await stillSameDocument(page);

    const screenshot = await page.screenshot({ fullPage: true });
    fs.mkdirSync(".tmp", { recursive: true });
    fs.writeFileSync(".tmp/dashboard.png", screenshot);
    // `CAO_UPDATE_SCREENSHOT=1 npx vitest run test/dashboard.test.ts` refreshes the README's picture.
    if (process.env.CAO_UPDATE_SCREENSHOT === "1") fs.writeFileSync(path.join("docs", "dashboard.png"), screenshot);
  });

  it("disables, enables and reloads a plugin with its buttons, and the row follows", async () => {
    const page = await openDashboard();
    const row = page.locator('[data-plugin="tally"]');
    const status = row.locator('[data-testid="plugin-status"]');
    await status.filter({ hasText: "active" }).waitFor();

    await page.getByRole("button", { name: "Disable plugin tally" }).click();
    await status.filter({ hasText: "disabled" }).waitFor();
    expect((await server.http("GET", "/plugins/tally")).body.status).toBe("disabled");

    await page.getByRole("button", { name: "Enable plugin tally" }).click();
    await status.filter({ hasText: "active" }).waitFor();
    expect((await server.http("GET", "/plugins/tally")).body.status).toBe("active");

    const before = await page.locator('[data-testid="event-log"] li', { hasText: "plugin_reloaded" }).count();
    await page.getByRole("button", { name: "Reload plugin tally" }).click();
    await page.locator('[data-testid="event-log"] li', { hasText: "plugin_reloaded" }).nth(before).waitFor();
    await status.filter({ hasText: "active" }).waitFor();
    await stillSameDocument(page);
  });

  it("follows the server across a restart: the stream reconnects by itself and resumes with Last-Event-ID", async () => {
    const page = await openDashboard();
    const { home, socket, port } = server;
    expect(await server.stop()).toBe(0);
    await page.getByTestId("feed-status").filter({ hasText: "reconnecting" }).waitFor();
    // Keep the page's stream away (as a network failure, which EventSource retries) while events happen on the new server.
    const stream = /\/events(\?.*)?$/;
    await page.route(stream, (route) => route.abort());
    server = await startServerProcess({ home, socket, port, plugins: PLUGINS });
    const terminal = await launch("after-restart");
    expect(await page.locator('[data-session="cao-after-restart"]').count()).toBe(0);
    await page.unroute(stream);
    // Now it reconnects with Last-Event-ID and gets what it missed from the journal.
    await page.getByTestId("feed-status").filter({ hasText: "live" }).waitFor({ timeout: 30_000 });
    await page.locator('[data-session="cao-after-restart"]').locator(`[data-terminal="${terminal.id}"]`).waitFor();
    const seqs = (
      await page
        .locator('[data-testid="event-log"] li')
        .evaluateAll((items) => items.map((item) => Number(item.getAttribute("data-seq"))))
    ).reverse();
    expect(seqs.length).toBeGreaterThan(3);
    expect(seqs).toEqual(seqs.map((_, i) => seqs[0]! + i)); // every seq once, none missing, none twice
    await stillSameDocument(page);
  });
});

// What agents report through their own hooks (docs/agent-hooks.md), drawn per terminal: the mock agent runs the hook
// settings its launch wrote, as Claude Code does, and calls the server's real route with its terminal's secret.
describe("the agent timeline in a headless browser", { timeout: 90_000 }, () => {
  type EventJson = Record<string, any> & { event_type: string; seq: number };
  const type = async (terminalId: string, message: string) => {
    const typed = await server.http("POST", `/terminals/${terminalId}/input`, { message });
    expect(typed.status, JSON.stringify(typed.body)).toBe(200);
  };
  const turnEnded = async (terminalId: string) =>
    ((await server.http("GET", "/events/history?types=agent_turn_ended&limit=1000")).body as EventJson[]).filter(
      (event) => event.terminal_id === terminalId,
    );

  it("shows each turn with its tool call, outcome, duration, notifications and tokens, live, for the terminal chosen by keyboard", async () => {
    const fixer = await launch("fixer");
    const reader = await launch("reader");
    const page = await openDashboard();
    for (const terminal of [fixer, reader]) await statusOf(page, terminal.id).filter({ hasText: "idle" }).waitFor();
    const timeline = page.getByTestId("timeline");
    const turn = timeline.locator("li.turn").first(); // newest first
    const tool = (name: string) => turn.locator(`li.tool[data-tool="${name}"]`);

    // The reader, chosen in the panel's own list, runs a command that lasts until the test lets it end.
    const select = page.getByLabel("Terminal", { exact: true });
    await select.selectOption(reader.id);
    await timeline.getByText("Nothing reported by this agent yet").waitFor();
    const gate = path.join(tempDir("cao-gate-"), "go");
    await type(reader.id, `/sh until [ -e ${gate} ]; do sleep 0.1; done; printf 'read %s' docs`);
    await timeline.locator(`[data-timeline-of="${reader.id}"]`).waitFor();
    await tool("Bash").filter({ hasText: "printf 'read %s' docs" }).filter({ hasText: "running…" }).waitFor();

    // Choose the fixer with the keyboard: its id in the sessions table is a toggle button.
    const choose = page.getByRole("button", { name: `Show the agent timeline of terminal ${fixer.id}` });
    await choose.focus();
    await page.keyboard.press("Enter");
    expect(await choose.getAttribute("aria-pressed")).toBe("true");
    await timeline.getByText("Nothing reported by this agent yet").waitFor();
    expect(await page.getByLabel("Terminal", { exact: true }).inputValue()).toBe(fixer.id);

    // A turn with a shell command that works: prompt, the command, ok with its duration, the tokens of the turn.
    await type(fixer.id, "/sh printf 'x-%d' 42");
    await turn.filter({ hasText: "/sh printf 'x-%d' 42" }).waitFor();
    const bash = tool("Bash");
    await bash.filter({ hasText: "printf 'x-%d' 42" }).and(page.locator('[data-state="ok"]')).waitFor();
    await turn.and(page.locator('[data-state="ended"]')).waitFor();
    expect(await bash.locator(".tool-duration").textContent()).toMatch(/^(\d+ ms|\d+\.\d s)$/);
    const [ended] = await turnEnded(fixer.id);
    expect(ended!.usage, JSON.stringify(ended)).not.toBeNull();
    const usage = ended!.usage as { input_tokens: number; output_tokens: number };
    expect(await turn.getByTestId("turn-usage").textContent()).toBe(
      `${usage.input_tokens.toLocaleString("en-US")} in · ${usage.output_tokens.toLocaleString("en-US")} out tokens`,
    );
    expect(await turn.locator(".turn-answer").textContent()).toContain("x-42");

    // Its whole input and output open from the keyboard (a native disclosure).
    await bash.locator("summary").focus();
    await page.keyboard.press("Enter");
    await bash.locator(".tool-detail pre", { hasText: "x-42" }).waitFor();
    expect(await bash.locator(".tool-detail pre").first().textContent()).toContain(`"command": "printf 'x-%d' 42"`);

    // A command that fails, then a turn where the agent asks for permission: the notification shows in it, live.
    await type(fixer.id, "/sh ls /no/such/dir");
    await turn.filter({ hasText: "/sh ls /no/such/dir" }).and(page.locator('[data-state="ended"]')).waitFor();
    const failed = tool("Bash");
    await failed.and(page.locator('[data-state="failed"]')).waitFor();
    expect(await failed.locator(".tool-badge").textContent()).toBe("failed");
    await type(fixer.id, "may I go ahead? [[ask]]");
    await turn
      .locator('.note[data-kind="permission_prompt"]')
      .filter({ hasText: "The mock agent asks to go on" })
      .waitFor();
    expect(await turn.getAttribute("data-state")).toBe("running");
    expect(await timeline.locator("li.turn").count()).toBe(3);

    // Back to the reader: its command ends now.
    fs.writeFileSync(gate, "");
    await select.selectOption(reader.id);
    await timeline.locator(`[data-timeline-of="${reader.id}"]`).waitFor();
    await tool("Bash").filter({ hasText: "read docs" }).and(page.locator('[data-state="ok"]')).waitFor();
    await stillSameDocument(page);

    // A page opened now builds the same timeline from the journal's history.
    const later = await openDashboard();
    await later.getByRole("button", { name: `Show the agent timeline of terminal ${fixer.id}` }).click();
    const turns = later.getByTestId("timeline").locator("li.turn");
    await turns.nth(2).waitFor();
    expect(await turns.evaluateAll((items) => items.map((item) => item.getAttribute("data-state")))).toEqual([
      "running",
      "ended",
      "ended",
    ]);
    expect(
      await turns.locator("li.tool").evaluateAll((items) => items.map((i) => i.getAttribute("data-state"))),
    ).toEqual(["failed", "ok"]);

    await select.selectOption(fixer.id);
    await timeline.locator(`[data-timeline-of="${fixer.id}"]`).waitFor();
    await timeline.locator("li.tool").nth(1).locator("summary").click();
    await timeline.locator("li.tool").nth(1).locator(".tool-detail").waitFor();
    await page.locator("h1").click(); // no focus ring in the picture
    const shot = await timeline.screenshot();
    fs.mkdirSync(".tmp", { recursive: true });
    fs.writeFileSync(".tmp/dashboard-timeline.png", shot);
    // `CAO_UPDATE_SCREENSHOT=1 npx vitest run test/dashboard.test.ts` refreshes the README's picture.
    if (process.env.CAO_UPDATE_SCREENSHOT === "1") fs.writeFileSync(path.join("docs", "dashboard-timeline.png"), shot);
    expect((await server.http("DELETE", "/sessions/cao-fixer")).status).toBe(200);
    expect((await server.http("DELETE", "/sessions/cao-reader")).status).toBe(200);
  });

  it("drops a terminal's timeline with the terminal", async () => {
    const gone = await launch("gone");
    const page = await openDashboard();
    await statusOf(page, gone.id).filter({ hasText: "idle" }).waitFor();
    await type(gone.id, "short-lived");
    const timeline = page.getByTestId("timeline");
    await timeline.locator(`[data-timeline-of="${gone.id}"]`).waitFor();
    expect((await server.http("DELETE", "/sessions/cao-gone")).status).toBe(200);
    await timeline.locator(`[data-timeline-of="${gone.id}"]`).waitFor({ state: "detached" });
    await stillSameDocument(page);
  });
});
