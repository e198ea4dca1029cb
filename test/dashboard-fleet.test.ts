/**
 * The dashboard's fleet view (docs/fleet.md#the-dashboards-fleet-view) and the `/fleet` routes behind it, against a
 * real `nats-server -js` and two real `cao server` processes joined to it (hostA, whose dashboard is opened, and
 * hostB), in a real headless Chromium: both hosts with their records, every host's sessions and terminals, one event
 * log across hosts, a session launched on the other host from the page. And a server in no fleet: 404 and no view.
 */
import fs from "node:fs";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchBrowser, openDashboard as openDashboardPage, problemsOf } from "./helpers/browser.js";
import { removeTempDirs } from "./helpers/fs-fixtures.js";
import { startNatsServer, stopNatsServers, type NatsServerProcess } from "./helpers/nats-server.js";
import { openSse } from "./helpers/sse.js";
import { startServerProcess, stopServerProcesses, type ServerProcess } from "./helpers/server-process.js";
import { waitFor } from "./helpers/wait.js";

let nats: NatsServerProcess;
let a: ServerProcess;
let b: ServerProcess;
let browser: Browser;
const pages: Page[] = [];

beforeAll(async () => {
  nats = await startNatsServer();
  const fleetEnv = (host: string) => ({ CAO_FLEET_NATS_URL: nats.url, CAO_FLEET_HOST: host });
  [a, b, browser] = await Promise.all([
    startServerProcess({ env: fleetEnv("hostA") }),
    startServerProcess({ env: fleetEnv("hostB") }),
    launchBrowser(),
  ]);
  await waitFor(
    async () => ((await a.http("GET", "/fleet/hosts")).body as { host: string }[]).length === 2,
    20_000,
    "both hosts in CAO_HOSTS",
    200,
  );
}, 90_000);
afterAll(async () => {
  for (const page of pages) await page.close().catch(() => undefined);
  await browser?.close();
  await stopServerProcesses();
  await stopNatsServers();
  removeTempDirs();
});

async function openDashboard(server: ServerProcess): Promise<Page> {
  const page = await openDashboardPage(browser, server.url, { width: 1400, height: 1100 });
  pages.push(page);
  return page;
}

describe("the /fleet routes", () => {
  it("name this host, list both hosts from CAO_HOSTS, and refuse bad input with a detail naming it", async () => {
    expect(await a.http("GET", "/fleet")).toEqual({ status: 200, body: { host: "hostA" } });
    const hosts = (await a.http("GET", "/fleet/hosts")).body as { host: string; sessions: number; last_seen: string }[];
    expect(hosts.map((h) => h.host)).toEqual(["hostA", "hostB"]);
    for (const h of hosts) expect(Date.now() - Date.parse(h.last_seen)).toBeLessThan(15_000);

    const badHost = await a.http("POST", "/fleet/hosts/bad.host/sessions", {
      provider: "mock",
      agent_profile: "developer",
    });
    expect(badHost.status).toBe(400);
    expect(badHost.body.detail).toMatch(/^host must be/);
    const noProvider = await a.http("POST", "/fleet/hosts/hostB/sessions", { agent_profile: "developer" });
    expect(noProvider).toEqual({ status: 400, body: { detail: "provider must have required property 'provider'" } });
    const nobody = await a.http("POST", "/fleet/hosts/hostZ/sessions", {
      provider: "mock",
      agent_profile: "developer",
    });
    expect(nobody.status).toBe(404);
    expect(nobody.body.detail).toContain('no host "hostZ" in the fleet answers (live hosts: hostA, hostB)');
    // The other host's own validation answers, with its status.
    const remoteBad = await a.http("POST", "/fleet/hosts/hostB/sessions", {
      provider: "nosuch",
      agent_profile: "developer",
    });
    expect(remoteBad.status).toBe(400);
    expect(remoteBad.body.detail).toContain("nosuch");
    expect((await b.http("GET", "/sessions")).body).toEqual([]);
    expect((await a.http("GET", "/fleet/sessions?host=no.dots")).status).toBe(400);
    expect((await a.http("GET", "/fleet/events?since=x")).status).toBe(400);
  }, 90_000);

  it("streams every host's events as CloudEvents, one stream", async () => {
    const stream = await openSse(a.url, "/fleet/events");
    expect(stream.status).toBe(200);
    for (const [server, name] of [
      [a, "evA"],
      [b, "evB"],
    ] as const)
      expect(
        (await server.http("POST", "/sessions", { provider: "mock", agent_profile: "developer", session_name: name }))
          .status,
      ).toBe(201);
    await waitFor(
      () =>
        ["cao://hostA", "cao://hostB"].every((source) =>
          stream.events.some(
            (e) =>
              e.event === "fleet_event" && e.data.source === source && e.data.data.event_type === "session_created",
          ),
        ),
      20_000,
      "session_created from both hosts",
    );
    const ids = stream.events.map((e) => e.id);
    expect(ids).toEqual([...ids].sort((x, y) => x - y));
    stream.close();
    for (const [server, name] of [
      [a, "cao-evA"],
      [b, "cao-evB"],
    ] as const)
      expect((await server.http("DELETE", `/sessions/${name}`)).status).toBe(200);
  }, 90_000);
});

describe("the dashboard's fleet view", () => {
  it("shows both hosts, their sessions and one event log, and launches a session on the other host", async () => {
    const page = await openDashboard(a);
    const fleet = page.getByTestId("fleet");
    await fleet.locator('[data-host="hostA"]').waitFor();
    await fleet.locator('[data-host="hostB"]').waitFor();
    expect(await fleet.locator('[data-host="hostA"]').textContent()).toContain("(this)");

    // The other host is the one chosen by default; its providers fill the provider list.
    await page.locator("#fleet-host").selectOption("hostB");
    await page.locator("#fleet-provider").selectOption("mock");
    await page.locator("#fleet-name").fill("remote1");
    await page.getByRole("button", { name: "Launch session on host" }).click();
    await fleet.getByRole("status").filter({ hasText: "launched cao-remote1 on hostB" }).waitFor({ timeout: 30_000 });

    // It runs on hostB, not here.
    expect(((await b.http("GET", "/sessions")).body as { name: string }[]).map((s) => s.name)).toEqual(["cao-remote1"]);
    expect((await a.http("GET", "/sessions")).body).toEqual([]);
    // The view follows: hostB's session with its terminal and status, hostB's count, hostB's events in the one log.
    const remote = fleet.locator('[data-fleet-host="hostB"] [data-fleet-session="cao-remote1"]');
    await remote.locator("[data-fleet-terminal]").waitFor({ timeout: 15_000 });
    await remote
      .locator(".status", { hasText: /idle|processing/ })
      .first()
      .waitFor({ timeout: 15_000 });
    await fleet
      .locator('[data-host="hostB"] [data-testid="host-sessions"]')
      .filter({ hasText: "1" })
      .waitFor({ timeout: 15_000 });
    await fleet
      .getByTestId("fleet-log")
      .locator("li", { hasText: "hostB" })
      .filter({ hasText: "session_created" })
      .first()
      .waitFor();

    // A session on this host shows under hostA, from the same routes.
    expect(
      (await a.http("POST", "/sessions", { provider: "mock", agent_profile: "reviewer", session_name: "local1" }))
        .status,
    ).toBe(201);
    await fleet.locator('[data-fleet-host="hostA"] [data-fleet-session="cao-local1"]').waitFor({ timeout: 15_000 });
    await fleet.locator('[data-fleet-host="hostA"] .status', { hasText: "idle" }).waitFor({ timeout: 20_000 });
    await fleet.locator('[data-fleet-host="hostB"] .status', { hasText: "idle" }).waitFor({ timeout: 20_000 });

    const shot = await fleet.screenshot();
    fs.mkdirSync(".tmp", { recursive: true });
    fs.writeFileSync(".tmp/dashboard-fleet.png", shot);
    // `CAO_UPDATE_SCREENSHOT=1 npx vitest run test/dashboard-fleet.test.ts` refreshes the docs' picture.
    if (process.env.CAO_UPDATE_SCREENSHOT === "1") fs.writeFileSync("docs/dashboard-fleet.png", shot);
    expect(problemsOf(page)).toEqual([]);
  }, 90_000);

  it("is hidden on a server in no fleet, whose /fleet routes answer 404 saying so", async () => {
    const plain = await startServerProcess();
    for (const route of ["/fleet", "/fleet/hosts", "/fleet/sessions", "/fleet/events"]) {
      const answer = await plain.http("GET", route);
      expect(answer.status, route).toBe(404);
      expect(answer.body.detail, route).toMatch(/^this server is not in a fleet: set fleet.nats/);
    }
    const launch = await plain.http("POST", "/fleet/hosts/hostB/sessions", {
      provider: "mock",
      agent_profile: "developer",
    });
    expect(launch.status).toBe(404);
    const page = await openDashboard(plain);
    await page.getByTestId("sessions").waitFor();
    await page.waitForTimeout(500);
    expect(await page.getByTestId("fleet").count()).toBe(0);
  }, 90_000);
});
