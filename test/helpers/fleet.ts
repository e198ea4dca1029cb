/** Reading the fleet's NATS side from a test: the raw stream (headers included) and a host's journal. */
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
import type { FleetCloudEvent } from "../../src/contract/fleet.js";
import type { ServerProcess } from "./server-process.js";

export interface StoredEvent {
  streamSeq: number;
  subject: string;
  msgId: string | undefined;
  event: FleetCloudEvent;
}

export function natsConnect(url: string): Promise<NatsConnection> {
  return connect({ servers: url, name: "cao fleet test", maxReconnectAttempts: -1, reconnectTimeWait: 250 });
}

/** Every message of CAO_EVENTS (optionally only `cao.events.<host>.>`), in stream order, with its Nats-Msg-Id. */
export async function storedEvents(nc: NatsConnection, host?: string): Promise<StoredEvent[]> {
  const jsm = await jetstreamManager(nc);
  let state;
  try {
    state = (await jsm.streams.info("CAO_EVENTS")).state;
  } catch {
    return [];
  }
  const prefix = host === undefined ? "cao.events." : `cao.events.${host}.`;
  const out: StoredEvent[] = [];
  for (let seq = state.first_seq; seq <= state.last_seq && state.messages > 0; seq++) {
    const stored = await jsm.streams.getMessage("CAO_EVENTS", { seq }).catch(() => null);
    if (!stored || !stored.subject.startsWith(prefix)) continue;
    out.push({
      streamSeq: stored.seq,
      subject: stored.subject,
      msgId: stored.header?.get("Nats-Msg-Id"),
      event: stored.json<FleetCloudEvent>(),
    });
  }
  return out;
}

/** The seqs of a server's whole journal, oldest first (GET /events/history, in pages). */
export async function journalSeqs(server: ServerProcess): Promise<number[]> {
  const seqs: number[] = [];
  for (let since = 0; ;) {
    const page = await server.http("GET", `/events/history?since=${since}&limit=1000`);
    const rows = page.body as { seq: number }[];
    if (rows.length === 0) return seqs;
    seqs.push(...rows.map((row) => row.seq));
    since = rows[rows.length - 1]!.seq;
  }
}
