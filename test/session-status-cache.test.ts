/**
 * Listing a session does not read every pane: GET /sessions/:name serves each status the status monitor already
 * read while it is still current (no read pending, the pane log unchanged since), and reads tmux only for the rest.
 * A terminal that printed since is read again, so the listing is never stale.
 */
import { afterAll, beforeAll, expect, it, vi, type MockInstance } from "vitest";
import { removeTempDirs } from "./helpers/fs-fixtures.js";
import { startTestServer, type TestServer } from "./helpers/server.js";
import { waitFor } from "./helpers/wait.js";

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await t.close();
  removeTempDirs();
});

/** Calls of TmuxClient.run that read a pane's screen (capture-pane, alone or in a probe). */
const paneReads = (spy: MockInstance): number =>
  spy.mock.calls.filter(([args]) => Array.isArray(args) && args.includes("capture-pane")).length;

it("GET /sessions/:name answers from the status monitor for settled terminals, and reads again a terminal that printed", async () => {
  const first = await t.client.createSession({ provider: "mock", agent_profile: "developer", session_name: "cached" });
  const others = [];
  for (let i = 0; i < 3; i++)
    others.push(await t.client.createTerminal("cao-cached", { provider: "mock", agent_profile: "developer" }));
  const ids = [first.id, ...others.map((o) => o.id)];
  // Settled: each terminal's baseline is known and nothing printed since.
  await waitFor(
    async () => {
      const spy = vi.spyOn(t.server.tmux, "run");
      try {
        await t.http("GET", "/sessions/cao-cached");
        return paneReads(spy) === 0;
      } finally {
        spy.mockRestore();
      }
    },
    20_000,
    "a listing that reads no pane",
  );
  const listed = await t.http("GET", "/sessions/cao-cached");
  expect(
    listed.body.terminals.map((terminal: { id: string; status: string }) => [terminal.id, terminal.status]),
  ).toEqual(ids.map((id) => [id, "idle"]));

  // One terminal gets a message: it prints, so the listing reads it again and shows it busy while it works (the
  // mock agent stays busy 3 s), then done; the other terminals stay served from the monitor.
  await t.client.sendInput(first.id, { message: "[[delay=3000]] take your time" });
  const statusOf = async (id: string): Promise<string> =>
    (await t.http("GET", "/sessions/cao-cached")).body.terminals.find((terminal: { id: string }) => terminal.id === id)
      .status;
  await waitFor(
    async () => (await statusOf(first.id)) === "processing",
    2_500,
    "the listing to show the busy terminal as processing",
    50,
  );
  await waitFor(async () => (await statusOf(first.id)) === "completed", 10_000, "the listing to show it completed");
  await t.client.deleteSession("cao-cached");
});
