import { fleetEventId, fleetEventSubject, type FleetCloudEvent } from "../contract/fleet.js";
import type { EventRow } from "../clients/database.js";

/** One journaled event as the fleet publishes it: subject, message id and the CloudEvents JSON. */
export interface FleetMessage {
  subject: string;
  id: string;
  payload: string;
}

/**
 * A journal row as a CloudEvents 1.0 structured-mode JSON message (docs/contract.md#fleet). `data` is the row's JSON
 * exactly as the journal keeps it (the event's `toJSON()` plus `seq`). A payload over `maxBytes` (NATS refuses it)
 * carries the event's identity and `truncated: true` instead of its fields, so the host's sequence keeps no hole.
 */
export function toFleetMessage(host: string, row: EventRow, maxBytes = Infinity): FleetMessage {
  const data = JSON.parse(row.data) as FleetCloudEvent["data"];
  const id = fleetEventId(host, row.seq);
  const envelope = (body: string) =>
    `{"specversion":"1.0","id":${JSON.stringify(id)},"source":${JSON.stringify(`cao://${host}`)},` +
    `"type":${JSON.stringify(`cao.${row.event_type}`)},"time":${JSON.stringify(data.timestamp)},` +
    (subjectOf(data) !== undefined ? `"subject":${JSON.stringify(subjectOf(data))},` : "") +
    `"datacontenttype":"application/json","data":${body}}`;
  let payload = envelope(row.data);
  if (Buffer.byteLength(payload) > maxBytes) {
    const { seq, event_type, timestamp, session_id } = data;
    const terminal = typeof data.terminal_id === "string" ? { terminal_id: data.terminal_id } : {};
    payload = envelope(
      JSON.stringify({ event_type, timestamp, session_id, ...terminal, seq, truncated: true, size: row.data.length }),
    );
  }
  return { subject: fleetEventSubject(host, row.event_type), id, payload };
}

/** `<session_id>/<terminal_id>` for a terminal's events, `<session_id>` for a session's, none without a session. */
function subjectOf(data: FleetCloudEvent["data"]): string | undefined {
  if (typeof data.session_id !== "string") return undefined;
  return typeof data.terminal_id === "string" ? `${data.session_id}/${data.terminal_id}` : data.session_id;
}
