import { EVENT_TYPES } from "./types.js";

/** The event types the page listens for: every one the server emits (EventSource only delivers named events to listeners). */
export const FEED_EVENT_TYPES: readonly string[] = EVENT_TYPES;
