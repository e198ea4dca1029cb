/**
 * Flows run on their cron schedule (docs/flows.md#scheduling): a real `cao server` child, real tmux, the mock agent
 * and the built `cao` command. One flow runs every minute; the test waits for the journal's events (over SSE), not
 * on a clock of its own, and restarts the server right after a run to show that a restart neither repeats nor loses
 * a run. It takes one to two minutes: cron's unit is the minute.
 */
import fs from "node:fs";
import path from "node:path";
import { afterAll, expect, it } from "vitest";
import { removeTempDirs, tempDir, writeFile } from "./helpers/fs-fixtures.js";
import {
  CAO_MAIN,
  runCao,
  startServerProcess,
  stopServerProcesses,
  type CaoRun,
  type ServerProcess,
} from "./helpers/server-process.js";
import { openSse, type SseClient } from "./helpers/sse.js";

afterAll(async () => {
  await stopServerProcesses();
  removeTempDirs();
});

function cao(server: ServerProcess, args: string[]): Promise<CaoRun> {
  return runCao(args, { env: { ...process.env, CAO_API_PORT: String(server.port), CAO_API_HOST: "127.0.0.1" } });
}

/** Resolves with the first event on `stream` (from index `from`) that `match` accepts; fails after `timeoutMs`. */
async function nextEvent(
  stream: SseClient,
  match: (data: Record<string, any>) => boolean,
  timeoutMs: number,
): Promise<Record<string, any>> {
  let found: Record<string, any> | undefined;
  const deadline = Date.now() + timeoutMs;
  // The SSE client appends events as they arrive; this only looks at what it already received.
  while (!(found = stream.events.map((e) => e.data).find(match))) {
    if (Date.now() > deadline) throw new Error(`no matching event within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return found;
}

const FLOW_EVENTS = "/events?types=flow_run_started,flow_run_finished";
const minuteOf = (iso: string) => Math.floor(Date.parse(iso) / 60_000);

it("runs a flow every minute on time, journaled, and a restart neither repeats nor loses a run", async () => {
  const home = tempDir("cao-flow-home-");
  const dir = tempDir("cao-flow-files-");
  const socket = `cao-flows-${process.pid}`;
  let server = await startServerProcess({ home, socket });
  let stream = await openSse(server.url, FLOW_EVENTS);

  const flow = (name: string, extra: string[] = []) =>
    writeFile(
      path.join(dir, `${name}.md`),
      `---\nname: ${name}\nschedule: "* * * * *"\nagent_profile: developer\nprovider: mock\n${extra.join("\n")}\n---\nTick.\n`,
    );
  writeFile(path.join(dir, "fail.sh"), "#!/bin/sh\nexit 1\n");
  fs.chmodSync(path.join(dir, "fail.sh"), 0o755);
  for (const name of ["tick", "paused"]) expect((await cao(server, ["schedule", "add", flow(name)])).code).toBe(0);
  expect((await cao(server, ["schedule", "add", flow("broken", ["script: fail.sh"])])).code).toBe(0);
  expect((await cao(server, ["schedule", "disable", "paused"])).code).toBe(0);

  // The first scheduled run: at the top of the next minute, within the time the mock agent takes to start.
  const started = await nextEvent(stream, (e) => e.event_type === "flow_run_started" && e.flow_name === "tick", 65_000);
  expect(started.trigger).toBe("schedule");
  expect(Date.parse(started.timestamp) % 60_000).toBeLessThan(10_000);
  const runMinute = minuteOf(started.timestamp);
  const finished = await nextEvent(
    stream,
    (e) => e.event_type === "flow_run_finished" && e.flow_name === "tick",
    30_000,
  );
  expect(finished).toMatchObject({ trigger: "schedule", outcome: "launched", session_id: "cao-flow-tick" });
  // The failing flow's run is journaled as failed, and the flow stays enabled with its next run a minute on.
  const failed = await nextEvent(
    stream,
    (e) => e.event_type === "flow_run_finished" && e.flow_name === "broken",
    30_000,
  );
  expect(failed).toMatchObject({ trigger: "schedule", outcome: "failed", terminal_id: null });
  expect(failed.reason).toMatch(/exited with code 1/);
  const broken = (await server.http("GET", "/flows/broken")).body;
  expect(broken.enabled).toBe(true);
  expect(minuteOf(broken.next_run)).toBe(runMinute + 1);

  // `cao events` shows the run.
  const printed = await cao(server, ["events", "--type", "flow_run_finished"]);
  expect(printed.stdout).toMatch(
    new RegExp(
      `flow_run_finished cao-flow-tick flow_name=tick trigger=schedule outcome=launched terminal_id=${finished.terminal_id}`,
    ),
  );

  // Restart within the minute of the run: the new server must not run that minute again.
  stream.close();
  const lastSeq = stream.events.at(-1)!.id;
  await server.stop();
  server = await startServerProcess({ home, socket });
  expect(Math.floor(Date.now() / 60_000), "the restart finished within the run's minute").toBe(runMinute);
  stream = await openSse(server.url, `${FLOW_EVENTS}&since=${lastSeq}`);
  const listed = (await server.http("GET", "/flows/tick")).body;
  expect(minuteOf(listed.last_run)).toBe(runMinute);
  expect(minuteOf(listed.next_run)).toBe(runMinute + 1);

  // …and must run the next one.
  const again = await nextEvent(stream, (e) => e.event_type === "flow_run_started" && e.flow_name === "tick", 65_000);
  expect(minuteOf(again.timestamp)).toBe(runMinute + 1);
  await nextEvent(stream, (e) => e.event_type === "flow_run_finished" && e.flow_name === "tick", 30_000);
  stream.close();

  // The whole journal: one scheduled run of tick per minute, none of the disabled flow.
  const history: Record<string, any>[] = (await server.http("GET", "/events/history?types=flow_run_started&limit=1000"))
    .body;
  const tickRuns = history.filter((e) => e.flow_name === "tick").map((e) => minuteOf(e.timestamp));
  expect(tickRuns).toEqual([runMinute, runMinute + 1]);
  expect(history.filter((e) => e.flow_name === "paused")).toEqual([]);
  // The second run replaced the first run's session: one terminal, the new one.
  const terminals = (await server.http("GET", "/sessions/cao-flow-tick/terminals")).body as { id: string }[];
  expect(terminals.map((t) => t.id)).not.toContain(finished.terminal_id);
  expect(terminals).toHaveLength(1);
}, 200_000);
