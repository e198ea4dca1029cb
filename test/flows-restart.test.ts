/**
 * A flow that came due while the server was down (docs/flows.md#scheduling): it runs once when the server starts
 * again and its next run is back on its schedule. A real `cao server` child, real tmux, the mock
 * agent. It waits out one minute boundary with the server stopped (up to a minute).
 */
import path from "node:path";
import { afterAll, expect, it } from "vitest";
import { removeTempDirs, tempDir, writeFile } from "./helpers/fs-fixtures.js";
import { startServerProcess, stopServerProcesses } from "./helpers/server-process.js";
import { openSse } from "./helpers/sse.js";

afterAll(async () => {
  await stopServerProcesses();
  removeTempDirs();
});

const minuteOf = (time: string | number) => Math.floor((typeof time === "number" ? time : Date.parse(time)) / 60_000);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

it("runs a flow that came due while the server was down at start-up, once, and puts it back on its schedule", async () => {
  const home = tempDir("cao-flow-home-");
  const socket = `cao-flows-restart-${process.pid}`;
  let server = await startServerProcess({ home, socket });
  const file = writeFile(
    path.join(tempDir("cao-flow-files-"), "catchup.md"),
    '---\nname: catchup\nschedule: "* * * * *"\nagent_profile: developer\nprovider: mock\n---\nCatch up.\n',
  );
  const added = await server.http("POST", "/flows", { file_path: file });
  expect(added.status).toBe(201);
  const due = Date.parse(added.body.next_run);
  await server.stop();

  // Down across the flow's next run and a little beyond it: that slot is missed.
  await sleep(due - Date.now() + 2_000);
  const restartedAt = Date.now();
  server = await startServerProcess({ home, socket });
  const stream = await openSse(server.url, "/events?types=flow_run_started,flow_run_finished&since=0");
  await stream.waitForEvents(2, 30_000);
  const [started, finished] = stream.events.map((e) => e.data);
  expect(started).toMatchObject({ event_type: "flow_run_started", flow_name: "catchup", trigger: "schedule" });
  expect(Date.parse(started.timestamp) - restartedAt).toBeLessThan(15_000);
  expect(finished).toMatchObject({ event_type: "flow_run_finished", flow_name: "catchup", outcome: "launched" });
  // The missed slot was run once, and the flow is back on its schedule: the next run is the following minute
  // (flows-schedule.test.ts shows the scheduler keeping such a time).
  const flow = (await server.http("GET", "/flows/catchup")).body;
  expect(minuteOf(flow.last_run)).toBe(minuteOf(started.timestamp));
  expect(minuteOf(flow.next_run)).toBe(minuteOf(started.timestamp) + 1);
  expect(stream.events).toHaveLength(2);

  stream.close();
}, 120_000);
