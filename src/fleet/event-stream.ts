import type { Logger } from "pino";
import { JetStreamApiCodes, JetStreamApiError, StorageType, type JetStreamManager } from "@nats-io/jetstream";
import { FLEET_EVENTS_STREAM, FLEET_EVENTS_SUBJECTS, fleetEventSubject } from "../contract/fleet.js";

/** How long JetStream remembers a message id to drop a repeat (its default, written out). */
const DUPLICATE_WINDOW_NS = 2 * 60 * 1_000_000_000;

/**
 * Makes sure the CAO_EVENTS stream exists. One made elsewhere (with the operator's own limits: max age, max bytes,
 * replicas) is used as it is; CAO creates it only when it is missing, with no limit, on file storage.
 */
export async function ensureEventStream(jsm: JetStreamManager, logger: Logger): Promise<void> {
  try {
    await jsm.streams.info(FLEET_EVENTS_STREAM);
    return;
  } catch (error) {
    if (!(error instanceof JetStreamApiError) || error.code !== JetStreamApiCodes.StreamNotFound) throw error;
  }
  try {
    await jsm.streams.add({
      name: FLEET_EVENTS_STREAM,
      subjects: [FLEET_EVENTS_SUBJECTS],
      storage: StorageType.File,
      duplicate_window: DUPLICATE_WINDOW_NS,
    });
    logger.info(`fleet: created the stream ${FLEET_EVENTS_STREAM} (subjects ${FLEET_EVENTS_SUBJECTS})`);
  } catch (error) {
    // Another member made it at the same moment: fine, it is the same stream.
    await jsm.streams.info(FLEET_EVENTS_STREAM).catch(() => Promise.reject(error));
  }
}

/** The seq of the newest event of `host` in the stream (from its `Nats-Msg-Id`), undefined when it has none. */
export async function lastPublishedSeq(jsm: JetStreamManager, host: string): Promise<number | undefined> {
  const stored = await jsm.streams.getMessage(FLEET_EVENTS_STREAM, { last_by_subj: fleetEventSubject(host, ">") });
  if (!stored) return undefined;
  const id = stored.header?.get("Nats-Msg-Id") ?? "";
  const match = /^(.*):(\d+)$/.exec(id);
  if (match && match[1] === host) return Number(match[2]);
  // A message someone else put on this host's subjects: fall back to the envelope's own id.
  try {
    const envelope = stored.json<{ id?: unknown }>();
    const inner = typeof envelope.id === "string" ? /^(.*):(\d+)$/.exec(envelope.id) : null;
    return inner && inner[1] === host ? Number(inner[2]) : undefined;
  } catch {
    return undefined;
  }
}
