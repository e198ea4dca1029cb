// Cost of journaling an event (docs/contract.md#events): EventJournal.dispatch() in front of a registry with one subscribed plugin
// (seq, JSON once, SQLite append of the tick's events in one transaction, flush timed), against registry.dispatch()
// alone, in alternating rounds of the same process. Also shown: the caller's share (dispatch() returns before the
// tick's transaction runs) and one commit per event instead of one per tick, the design the batching replaced.
// A reference row: no target, the figures say what an event costs.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { fixed, isMain, loadRegistry, median, messageEvent, nowMs, report, root, tempHome } from "./lib.mjs";

const { CaoDatabase } = await import(pathToFileURL(path.join(root, "dist/clients/database.js")).href);
const { EventJournal } = await import(pathToFileURL(path.join(root, "dist/services/event-journal.js")).href);

const BATCH = 1000;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 30);

export async function run() {
  const { default: pino } = await import("pino");
  const registry = await loadRegistry(tempHome({ "p.mjs": "export default { hooks: { async message_sent() {} } };" }));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cao-bench-journal-"));
  process.once("exit", () => fs.rmSync(dir, { recursive: true, force: true }));
  const db = new CaoDatabase(path.join(dir, "cao.db"));
  const journal = new EventJournal({ db, downstream: registry, logger: pino({ level: "warn" }) }, 100_000);
  const events = Array.from({ length: BATCH }, (_, i) => messageEvent(i));

  const timeAlone = () => {
    const start = nowMs();
    for (let i = 0; i < BATCH; i++) registry.dispatch(events[i]);
    return ((nowMs() - start) * 1e3) / BATCH;
  };
  const timeJournaled = () => {
    const start = nowMs();
    for (let i = 0; i < BATCH; i++) journal.dispatch(events[i]);
    journal.flush(); // the tick's transaction, counted
    return ((nowMs() - start) * 1e3) / BATCH;
  };
  const timeCaller = () => {
    const start = nowMs();
    for (let i = 0; i < BATCH; i++) journal.dispatch(events[i]);
    const us = ((nowMs() - start) * 1e3) / BATCH;
    journal.flush(); // untimed: it runs after the caller has moved on
    return us;
  };
  const timeCommitEach = () => {
    const start = nowMs();
    for (let i = 0; i < BATCH; i++) {
      journal.dispatch(events[i]);
      journal.flush();
    }
    return ((nowMs() - start) * 1e3) / BATCH;
  };

  const alone = [];
  const journaled = [];
  const commitEach = [];
  const caller = [];
  for (let round = 0; round < ROUNDS + 3; round++) {
    const order = round % 2 === 0 ? [timeAlone, timeJournaled] : [timeJournaled, timeAlone];
    const times = new Map(order.map((f) => [f, f()]));
    const each = round % 5 === 0 ? timeCommitEach() : undefined;
    const callerUs = timeCaller();
    if (!(await registry.drain(10_000))) throw new Error("plugin did not drain");
    await new Promise((resolve) => setImmediate(resolve));
    if (round >= 3) {
      alone.push(times.get(timeAlone));
      journaled.push(times.get(timeJournaled));
      if (each !== undefined) commitEach.push(each);
      caller.push(callerUs);
    }
  }
  const stored = db.eventsAfter(0, 1, undefined).length;
  if (stored === 0) throw new Error("nothing was journaled");
  await registry.teardown();
  journal.close();
  db.close();
  const aloneUs = median(alone);
  const journaledUs = median(journaled);
  const eachUs = median(commitEach);
  const addedUs = journaledUs - aloneUs;
  const callerShareUs = median(caller);
  return {
    summary: {
      name: "journal append per event (batched per tick)",
      measured: `${fixed(journaledUs)} µs/event, of which the caller waits ${fixed(callerShareUs)} µs; one commit per event: ${fixed(eachUs)} µs/event`,
      baseline: `registry.dispatch() alone, 1 plugin: ${fixed(aloneUs)} µs/event`,
      ratio: `+${fixed(addedUs)} µs/event; batching ${fixed(eachUs / journaledUs, 1)}x cheaper than a commit per event`,
      target: "reference",
      pass: null,
    },
    details: { aloneUs, journaledUs, callerShareUs, eachUs, rounds: ROUNDS, batch: BATCH },
  };
}

if (isMain(import.meta.url)) {
  const r = await run();
  report(r.summary, r.details);
}
